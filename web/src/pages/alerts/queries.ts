// The alerts area's reads, each under one key that its commands' operations and the live events refresh.
import { useQuery } from "@tanstack/react-query";

import { api, query } from "../../api";
import type { Alert, Channel, Delivery, Rule, Silence } from "./types";

export const ALERTS = ["alerts"];
export const SILENCES = ["silences"];
export const RULES = ["alert-rules"];
export const CHANNELS = ["notification-channels"];

export interface AlertFilters {
  state: "firing" | "active" | "resolved" | "all";
  severity?: string;
  service?: string;
}

export const ALERT_LIMIT = 500;

export function useAlerts(filters: AlertFilters) {
  return useQuery({
    queryKey: [...ALERTS, filters],
    queryFn: ({ signal }) => api.get<{ alerts: Alert[] }>(`/alerts${query({ ...filters, limit: ALERT_LIMIT })}`, signal),
    select: (answer) => answer.alerts,
  });
}

export function useSilences(includeExpired: boolean) {
  return useQuery({
    queryKey: [...SILENCES, includeExpired],
    queryFn: ({ signal }) => api.get<{ silences: Silence[] }>(`/silences${query({ include_expired: includeExpired || undefined })}`, signal),
    select: (answer) => answer.silences,
  });
}

export function useRules() {
  return useQuery({
    queryKey: RULES,
    queryFn: ({ signal }) => api.get<{ rules: Rule[] }>("/alert-rules", signal),
    select: (answer) => answer.rules,
  });
}

export function useChannels() {
  return useQuery({
    queryKey: CHANNELS,
    queryFn: ({ signal }) => api.get<{ channels: Channel[] }>("/notification-channels", signal),
    select: (answer) => answer.channels,
  });
}

export function useDeliveries(channelId: string) {
  return useQuery({
    queryKey: [...CHANNELS, channelId, "deliveries"],
    queryFn: ({ signal }) =>
      api.get<{ deliveries: Delivery[] }>(`/notification-channels/${encodeURIComponent(channelId)}/deliveries${query({ limit: 50 })}`, signal),
    select: (answer) => answer.deliveries,
  });
}
