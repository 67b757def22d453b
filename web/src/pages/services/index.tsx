import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Services" }, "zh-CN": { title: "Services" } });

// Placeholder until this page is built (issue 19).
export default function ServicesPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
