import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Admin" }, "zh-CN": { title: "Admin" } });

// Placeholder until this page is built (issue 19).
export default function AdminPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
