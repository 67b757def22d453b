// A Trivy scan report (a market version's, or an installed service's): the counts by severity, each finding
// with what to do about it, and the images the manifests name. While the scan runs it says so.
import { defineMessages, useFormat, useT } from "../i18n";

export interface ScanFinding {
  kind: string;
  id: string;
  title: string;
  severity: string;
  object_kind?: string | null;
  object_name?: string | null;
  message?: string | null;
  resolution?: string | null;
}

export interface ScanReportData {
  state: string;
  scanner?: string | null;
  scanned_at?: string | null;
  error?: string | null;
  counts: Record<string, number>;
  findings: ScanFinding[];
  images: { image: string; tag?: string | null; digest?: string | null }[];
}

export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

const messages = defineMessages({
  en: {
    scanning: "Scanning… the report appears here when Trivy has finished.",
    failed: "The scan failed: {error}",
    clean: "No finding.",
    scanned: "Scanned by {scanner} on {date}.",
    counts: "Findings by severity",
    finding: "Finding",
    severity: "Severity",
    object: "Object",
    fix: "How to fix it",
    images: "Images: {images}",
  },
  "zh-CN": {
    scanning: "正在扫描……Trivy 完成后报告将显示在此处。",
    failed: "扫描失败：{error}",
    clean: "未发现问题。",
    scanned: "由 {scanner} 于 {date} 扫描。",
    counts: "按严重程度统计",
    finding: "问题",
    severity: "严重程度",
    object: "对象",
    fix: "修复方法",
    images: "镜像：{images}",
  },
});

export function ScanReport({ report }: { report: ScanReportData }) {
  const t = useT(messages);
  const format = useFormat();
  if (report.state === "scanning") return <p role="status">{t("scanning")}</p>;
  if (report.state === "failed") return <p className="error">{t("failed", { error: report.error ?? "" })}</p>;
  const counted = SEVERITIES.filter((s) => report.counts[s]);
  return (
    <div className="scan-report">
      {report.scanned_at && <p className="hint">{t("scanned", { scanner: report.scanner ?? "Trivy", date: format.date(report.scanned_at) })}</p>}
      {counted.length ? (
        <ul aria-label={t("counts")} className="scan-counts">
          {counted.map((s) => (
            <li key={s} data-severity={s}>
              {s}: {report.counts[s]}
            </li>
          ))}
        </ul>
      ) : (
        <p>{t("clean")}</p>
      )}
      {report.findings.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("severity")}</th>
              <th scope="col">{t("finding")}</th>
              <th scope="col">{t("object")}</th>
              <th scope="col">{t("fix")}</th>
            </tr>
          </thead>
          <tbody>
            {report.findings.map((f, i) => (
              <tr key={`${f.id}-${f.object_kind ?? ""}-${f.object_name ?? ""}-${i}`}>
                <td>{f.severity}</td>
                <td>
                  {f.id}: {f.title}
                </td>
                <td>{f.object_kind ? `${f.object_kind}/${f.object_name ?? ""}` : "—"}</td>
                <td>{f.resolution ?? f.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {report.images.length > 0 && <p className="hint">{t("images", { images: report.images.map((i) => i.image).join(", ") })}</p>}
    </div>
  );
}
