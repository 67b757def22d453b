import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Account" }, "zh-CN": { title: "Account" } });

// Placeholder until this page is built (issue 19).
export default function AccountPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
