import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Market" }, "zh-CN": { title: "Market" } });

// Placeholder until this page is built (issue 19).
export default function MarketPage() {
  const t = useT(messages);
  return <h1>{t("title")}</h1>;
}
