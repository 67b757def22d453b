import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Audit" }, "zh-CN": { title: "Audit" } });

// Placeholder until this page is built (issue 19).
export default function AuditPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
