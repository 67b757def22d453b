// Publish a packaged chart (.tgz) to QuickOn's own repository, "local". A refused chart shows what the
// checks or helm lint said, line by line.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { ApiError, request } from "../../api";
import { defineMessages, useT } from "../../i18n";
import { ErrorNote } from "../../ui/ErrorNote";

const messages = defineMessages({
  en: {
    title: "Publish a chart",
    hint: "A chart packaged with `helm package` goes to QuickOn's own repository, local, once helm lint accepts it.",
    file: "Chart package (.tgz)",
    publish: "Publish",
    publishing: "Checking and publishing…",
    published: "Published {app} {version} to {repository}.",
    lint: "What the checks said",
  },
  "zh-CN": {
    title: "发布 Chart",
    hint: "用 `helm package` 打包的 Chart，通过 helm lint 检查后发布到 QuickOn 自己的仓库 local。",
    file: "Chart 包（.tgz）",
    publish: "发布",
    publishing: "正在检查并发布…",
    published: "已将 {app} {version} 发布到 {repository}。",
    lint: "检查结果",
  },
});

interface Published {
  published: { repository: string; app: string; version: string; digest: string };
}

export function PublishPage() {
  const t = useT(messages);
  const [file, setFile] = useState<File | null>(null);
  const publish = useMutation({
    mutationFn: (chart: File) => {
      const form = new FormData();
      form.append("chart", chart, chart.name);
      return request<Published>("/charts", { method: "POST", form });
    },
  });
  const lint = publish.error instanceof ApiError && Array.isArray(publish.error.problem.messages) ? (publish.error.problem.messages as string[]) : [];
  return (
    <section aria-labelledby="publish-title">
      <h2 id="publish-title">{t("title")}</h2>
      <p className="hint">{t("hint")}</p>
      <form
        className="card"
        onSubmit={(event) => {
          event.preventDefault();
          if (file) publish.mutate(file);
        }}
      >
        <label>
          {t("file")}
          <input type="file" accept=".tgz,application/gzip" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <div className="actions">
          <button type="submit" disabled={!file || publish.isPending}>
            {t("publish")}
          </button>
        </div>
      </form>
      {publish.isPending && (
        <p role="status" className="busy">
          {t("publishing")}
        </p>
      )}
      {publish.data && (
        <p role="status" className="status-ok">
          {t("published", publish.data.published)}
        </p>
      )}
      <ErrorNote error={publish.error} />
      {lint.length > 0 && (
        <section aria-labelledby="lint-title" className="card">
          <h3 id="lint-title">{t("lint")}</h3>
          <ul className="lint">
            {lint.map((line, index) => (
              <li key={index}>
                <code>{line}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
