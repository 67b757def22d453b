// Notification channels: those of the user's teams (every one, for platform admins). A team's admins add,
// change, test and remove their team's channels, platform admins the platform's; members may read them and
// their delivery logs.
import { useMutation } from "@tanstack/react-query";
import { Fragment, useState } from "react";

import { api } from "../../api";
import { useAuth } from "../../auth";
import { useFormat, useT } from "../../i18n";
import type { Operation } from "../../operations";
import { useTeamName } from "../../teams";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { shortType } from "../../ui/eventType";
import { TypedConfirm } from "../../ui/TypedConfirm";
import { channelMessages } from "./channelMessages";
import { ChannelForm } from "./ChannelForm";
import { emptyChannel, formOf } from "./channels";
import { useCommandProgress } from "./commands";
import { useOwners } from "./owners";
import { CHANNELS, useChannels, useDeliveries } from "./queries";
import type { Channel, TestResult } from "./types";

const COLUMNS = 6;
type Open = { channel: string; what: "edit" | "deliveries" } | null;

export function ChannelsPage() {
  const t = useT(channelMessages);
  const { canOn } = useAuth();
  const teamName = useTeamName();
  const channels = useChannels();
  const { owners, isPending: ownersPending } = useOwners("admin");
  const { started, progress } = useCommandProgress([CHANNELS]);
  const [open, setOpen] = useState<Open>(null);
  const [removing, setRemoving] = useState<Channel | null>(null);
  const [tested, setTested] = useState<{ channel: string; result: TestResult } | null>(null);
  const test = useMutation({
    mutationFn: (channel: Channel) => api.post<TestResult>(`/notification-channels/${encodeURIComponent(channel.channel_id)}/test`),
    onMutate: () => setTested(null),
    onSuccess: (result, channel) => setTested({ channel: channel.channel_id, result }),
  });
  const remove = useMutation({
    mutationFn: (channel: Channel) => api.delete<Operation>(`/notification-channels/${encodeURIComponent(channel.channel_id)}`),
    onSuccess: (operation) => {
      setRemoving(null);
      started(operation);
    },
  });
  const toggle = (channel: string, what: "edit" | "deliveries") => setOpen(open?.channel === channel && open.what === what ? null : { channel, what });
  return (
    <section aria-labelledby="channels-title">
      <h2 id="channels-title">{t("title")}</h2>
      <p className="hint">{t("intro")}</p>
      {ownersPending ? (
        <Busy />
      ) : owners.length > 0 ? (
        <ChannelForm initial={emptyChannel(owners[0]!.value || null)} owners={owners} onStarted={started} />
      ) : (
        <p role="note" className="hint">
          {t("noOwner")}
        </p>
      )}
      {progress}
      {removing && (
        <TypedConfirm
          name={removing.definition.name}
          action={t("removeChannel")}
          busy={remove.isPending}
          onConfirm={() => remove.mutate(removing)}
          onCancel={() => setRemoving(null)}
        />
      )}
      <ErrorNote error={remove.error} />
      <h3 id="channels-list">{t("list")}</h3>
      {channels.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={channels.error} />
      {channels.data && channels.data.length === 0 && <p>{t("empty")}</p>}
      {channels.data && channels.data.length > 0 && (
        <table aria-labelledby="channels-list">
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("team")}</th>
              <th scope="col">{t("target")}</th>
              <th scope="col">{t("topics")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {channels.data.map((channel) => {
              const d = channel.definition;
              const mayManage = canOn("admin", channel.team);
              const name = d.name;
              const result = tested?.channel === channel.channel_id ? tested.result : null;
              return (
                <Fragment key={channel.channel_id}>
                  <tr data-channel={name} data-kind={d.kind}>
                    <td>
                      <strong>{name}</strong>
                      <div className="hint">{t(`kind.${d.kind}`)}</div>
                    </td>
                    <td>{channel.team ? teamName(channel.team) : t("platform")}</td>
                    <td className="last-error">{d.kind === "email" ? (d.email?.recipients ?? []).join(", ") : (d.url_hint ?? "—")}</td>
                    <td>
                      <div>{d.topics.map((topic) => t(`topic.${topic}`)).join(", ")}</div>
                      <div className="hint">{d.severities.map((severity) => t(severity)).join(", ")}</div>
                    </td>
                    <td>
                      <div className={d.enabled ? "status-ok" : ""}>{t(d.enabled ? "on" : "off")}</div>
                      {channel.failing && <div className="status-bad">{t("failing")}</div>}
                    </td>
                    <td>
                      <div className="actions compact">
                        {mayManage && (
                          <>
                            <button type="button" className="secondary" aria-expanded={open?.channel === channel.channel_id && open.what === "edit"} aria-label={t("editOne", { name })} onClick={() => toggle(channel.channel_id, "edit")}>
                              {t("edit")}
                            </button>
                            <button type="button" className="secondary" disabled={test.isPending} aria-label={t("testOne", { name })} onClick={() => test.mutate(channel)}>
                              {t("test")}
                            </button>
                          </>
                        )}
                        <button
                          type="button"
                          className="secondary"
                          aria-expanded={open?.channel === channel.channel_id && open.what === "deliveries"}
                          aria-label={t(open?.channel === channel.channel_id && open.what === "deliveries" ? "hideDeliveries" : "deliveriesOne", { name })}
                          onClick={() => toggle(channel.channel_id, "deliveries")}
                        >
                          {t("deliveries")}
                        </button>
                        {mayManage && (
                          <button type="button" className="danger" aria-label={t("removeOne", { name })} onClick={() => setRemoving(channel)}>
                            {t("remove")}
                          </button>
                        )}
                      </div>
                      {test.isPending && test.variables?.channel_id === channel.channel_id && <Busy label={t("testing")} />}
                      {test.error && test.variables?.channel_id === channel.channel_id && <ErrorNote error={test.error} />}
                      {result && (
                        <p role="status" className={result.ok ? "status-ok" : "status-bad"} data-test-ok={result.ok}>
                          {t(result.ok ? "testOk" : "testFailed", { status: result.status ? ` (${result.status})` : "", detail: result.detail })}
                        </p>
                      )}
                    </td>
                  </tr>
                  {open?.channel === channel.channel_id && (
                    <tr>
                      <td colSpan={COLUMNS}>
                        {open.what === "edit" ? (
                          <ChannelForm
                            initial={formOf(channel)}
                            channelId={channel.channel_id}
                            onStarted={(operation) => {
                              setOpen(null);
                              started(operation);
                            }}
                            onCancel={() => setOpen(null)}
                          />
                        ) : (
                          <Deliveries channel={channel} />
                        )}
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Deliveries({ channel }: { channel: Channel }) {
  const t = useT(channelMessages);
  const format = useFormat();
  const deliveries = useDeliveries(channel.channel_id);
  const title = t("deliveriesOne", { name: channel.definition.name });
  if (deliveries.isPending) return <Busy label={t("loadingDeliveries")} />;
  if (deliveries.isError) return <ErrorNote error={deliveries.error} />;
  if (deliveries.data.length === 0) return <p>{t("noDeliveries")}</p>;
  const stateName = (state: string) => (state === "delivered" || state === "pending" || state === "failed" ? t(state) : state);
  return (
    <table aria-label={title} className="deliveries">
      <thead>
        <tr>
          <th scope="col">{t("created")}</th>
          <th scope="col">{t("event")}</th>
          <th scope="col">{t("state")}</th>
          <th scope="col">{t("tries")}</th>
          <th scope="col">{t("lastAnswer")}</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.data.map((delivery) => {
          const last = delivery.attempts[delivery.attempts.length - 1];
          return (
            <tr key={delivery.delivery_id} data-delivery={delivery.event_type} data-state={delivery.state}>
              <td>
                <time dateTime={delivery.created_at}>{format.date(delivery.created_at)}</time>
              </td>
              <td title={delivery.event_type}>{shortType(delivery.event_type)}</td>
              <td className={delivery.state === "failed" ? "status-bad" : delivery.state === "delivered" ? "status-ok" : ""}>{stateName(delivery.state)}</td>
              <td>{delivery.tries}</td>
              <td className="last-error">{last ? `${last.status ?? "—"} ${last.detail}` : "—"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
