import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Operations" }, "zh-CN": { title: "Operations" } });

// Placeholder until this page is built (issue 19).
export default function OperationsPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
