import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Activity" }, "zh-CN": { title: "Activity" } });

// Placeholder until this page is built (issue 19).
export default function ActivityPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
