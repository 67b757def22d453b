import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Dashboard" }, "zh-CN": { title: "Dashboard" } });

// Placeholder until this page is built (issue 19).
export default function DashboardPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
