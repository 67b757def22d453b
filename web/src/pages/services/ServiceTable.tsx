import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";

import { defineMessages, useT } from "../../i18n";
import type { ServiceSummary } from "./data";
import { Status } from "./Status";
import { visibleRows } from "./windowing";

const messages = defineMessages({
  en: { services: "Services", name: "Name", namespace: "Namespace", team: "Team", app: "App", version: "Version", status: "Status" },
  "zh-CN": { services: "服务", name: "名称", namespace: "命名空间", team: "团队", app: "应用", version: "版本", status: "状态" },
});

export const ROW_HEIGHT = 40; // px, as .service-row in styles.css
const VIEWPORT = 560; // px: 14 rows in view

/** The services as a table that renders only the rows in view (a thousand rows stay fluid): an ARIA table
 * whose rows carry their index, so a screen reader still hears "row 512 of 1001". */
export function ServiceTable({ services, teamName }: { services: ServiceSummary[]; teamName: (team: string) => string }) {
  const t = useT(messages);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  useEffect(() => {
    // A new filter shows its first matches, not a scrolled-away middle of a shorter list.
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [services]);
  const height = Math.min(services.length * ROW_HEIGHT, VIEWPORT);
  const { first, last } = visibleRows({ scrollTop, viewport: VIEWPORT, rowHeight: ROW_HEIGHT, count: services.length });
  return (
    <div role="table" aria-label={t("services")} aria-rowcount={services.length + 1} className="service-table">
      <div role="rowgroup">
        <div role="row" aria-rowindex={1} className="service-row head">
          {(["name", "namespace", "team", "app", "version", "status"] as const).map((key) => (
            <span role="columnheader" key={key}>
              {t(key)}
            </span>
          ))}
        </div>
      </div>
      <div ref={scroller} className="service-scroll" style={{ height }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <div role="rowgroup" style={{ height: services.length * ROW_HEIGHT, position: "relative" }}>
          {services.slice(first, last).map((service, offset) => {
            const index = first + offset;
            return (
              <div role="row" aria-rowindex={index + 2} key={`${service.namespace}/${service.service}`} className="service-row" style={{ top: index * ROW_HEIGHT }}>
                <span role="cell">
                  <Link to={`${encodeURIComponent(service.service)}?namespace=${encodeURIComponent(service.namespace)}`}>{service.service}</Link>
                </span>
                <span role="cell">{service.namespace}</span>
                <span role="cell">{service.team ? teamName(service.team) : "—"}</span>
                <span role="cell">{service.app}</span>
                <span role="cell">{service.version ?? "—"}</span>
                <span role="cell">
                  <Status status={service.status} />
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
