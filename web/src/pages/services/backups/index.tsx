import { defineMessages, useT } from "../../../i18n";

const messages = defineMessages({ en: { title: "Backups" }, "zh-CN": { title: "备份" } });

// Placeholder until the backups tab is built (issue 19): mounted by the service page at services/:name/backups.
export default function BackupsTab() {
  const t = useT(messages);
  return <h2>{t("title")}</h2>;
}
