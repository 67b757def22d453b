// One series as a uPlot chart, with its newest values as text beneath (the canvas says nothing to a screen
// reader). uPlot is imported here only: it lands in the monitoring page's chunk, not in the first page's.
import "uplot/dist/uPlot.min.css";

import { useEffect, useMemo, useRef } from "react";
import uPlot from "uplot";

import { useLocale, useT } from "../../i18n";
import { type Aligned, formatValue, latest } from "./chartData";
import { messages } from "./messages";

// Distinguishable lines with enough contrast on white (WCAG's 3:1 for graphics).
const COLORS = ["#1d4ed8", "#b42318", "#146c2e", "#7c3aed", "#b45309", "#0e7490", "#be185d", "#4a5568"];
const HEIGHT = 220;

export function Chart({ data, unit, title, since }: { data: Aligned; unit: string; title: string; since: number }) {
  const t = useT(messages);
  const { locale } = useLocale();
  const box = useRef<HTMLDivElement>(null);
  const format = useMemo(() => (value: number | null) => formatValue(value, unit, locale), [unit, locale]);
  useEffect(() => {
    const element = box.current;
    if (!element || data.x.length === 0) return;
    const long = since > 86_400;
    const time = new Intl.DateTimeFormat(locale, long ? { month: "numeric", day: "numeric", hour: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
    const stamp = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium" });
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: HEIGHT,
      scales: { x: { time: true } },
      legend: { show: false }, // the list beneath names the lines, in text a screen reader reads too
      series: [
        { label: t("time"), value: (_plot, seconds) => (seconds === null ? "—" : stamp.format(new Date(seconds * 1000))) },
        ...data.lines.map((line, i) => ({
          label: line.name,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: false,
          value: (_plot: uPlot, value: number | null) => format(value),
        })),
      ],
      axes: [
        { values: (_plot, splits) => splits.map((seconds) => time.format(new Date(seconds * 1000))) },
        { values: (_plot, splits) => splits.map((value) => format(value)), size: 80 },
      ],
    };
    const plot = new uPlot(options, [data.x, ...data.lines.map((line) => line.values)] as uPlot.AlignedData, element);
    const resized = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }));
    resized.observe(element);
    return () => {
      resized.disconnect();
      plot.destroy();
    };
  }, [data, format, locale, since, t]);
  return (
    <>
      <div ref={box} className="chart" aria-hidden="true" />
      <ul className="plain chart-latest" aria-label={t("latestOf", { title })}>
        {data.lines.map((line, i) => (
          <li key={line.name} data-line={line.name}>
            <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} /> {line.name}: <strong>{format(latest(line.values))}</strong>
          </li>
        ))}
      </ul>
    </>
  );
}
