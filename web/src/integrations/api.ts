/** REST of the integrations: webhooks and their deliveries, API tokens, sign-in settings, room mail. */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";
import type { Same, Schema } from "../api/types";

export type WebhookEvent = Schema<"WebhookCreate">["events"][number];
export const WEBHOOK_EVENTS = ["interview.created", "interview.ended", "scorecard.submitted", "take_home.submitted"] as const satisfies readonly WebhookEvent[];
/** The create dialog offers every event the server can send (a new one fails here). */
export const WEBHOOK_EVENTS_MATCH_SERVER: Same<(typeof WEBHOOK_EVENTS)[number], WebhookEvent> = true;

export type Webhook = Schema<"WebhookOut">;
export type Delivery = Schema<"DeliveryOut">;

export type ApiTokenScope = Schema<"ApiTokenCreate">["scopes"][number];
export type ApiToken = Schema<"ApiTokenOut">;

export type SignInOptions = Schema<"SignInOptions">;
export type SignInSettings = Schema<"SignInSettingsOut">;

export type RoomMail = Schema<"MailOut">;

export const integrationKeys = {
  webhooks: ["webhooks"] as const,
  deliveries: (id: string) => ["webhooks", "deliveries", id] as const,
  tokens: ["me", "tokens"] as const,
  signIn: ["settings", "sign-in"] as const,
  options: ["auth", "options"] as const,
  mail: (roomId: string) => ["rooms", "mail", roomId] as const,
};

export const webhooksQuery = () =>
  queryOptions({
    queryKey: integrationKeys.webhooks,
    queryFn: ({ signal }) => api<Schema<"WebhookList">>("/api/webhooks", { signal }).then((r) => r.items),
  });

export const deliveriesQuery = (id: string) =>
  queryOptions({
    queryKey: integrationKeys.deliveries(id),
    queryFn: ({ signal }) => api<Schema<"DeliveryList">>(`/api/webhooks/${id}/deliveries?limit=50`, { signal }),
    // Deliveries move on their own (retries): keep the list fresh while it is open.
    refetchInterval: 3000,
  });

export const createWebhook = (body: Schema<"WebhookCreate">) =>
  api<Schema<"WebhookCreated">>("/api/webhooks", { method: "POST", body });
export const deleteWebhook = (id: string) => api<undefined>(`/api/webhooks/${id}`, { method: "DELETE" });
export const sendTestEvent = (id: string) => api<Delivery>(`/api/webhooks/${id}/test`, { method: "POST" });

export const tokensQuery = () =>
  queryOptions({
    queryKey: integrationKeys.tokens,
    queryFn: ({ signal }) => api<Schema<"ApiTokenList">>("/api/me/tokens", { signal }).then((r) => r.items),
  });
export const createToken = (body: Schema<"ApiTokenCreate">) =>
  api<Schema<"ApiTokenCreated">>("/api/me/tokens", { method: "POST", body });
export const revokeToken = (id: string) => api<undefined>(`/api/me/tokens/${id}`, { method: "DELETE" });

export const signInOptionsQuery = () =>
  queryOptions({
    queryKey: integrationKeys.options,
    queryFn: ({ signal }) => api<SignInOptions>("/api/auth/options", { signal, auth: false }),
    staleTime: 60_000,
  });
export const signInSettingsQuery = () =>
  queryOptions({
    queryKey: integrationKeys.signIn,
    queryFn: ({ signal }) => api<SignInSettings>("/api/settings/sign-in", { signal }),
  });
export const updateSignInSettings = (body: Schema<"SignInSettingsIn">) =>
  api<SignInSettings>("/api/settings/sign-in", { method: "PUT", body });

export const roomMailQuery = (roomId: string) =>
  queryOptions({
    queryKey: integrationKeys.mail(roomId),
    queryFn: ({ signal }) => api<Schema<"RoomMailList">>(`/api/rooms/${roomId}/mail`, { signal }),
    refetchInterval: 5000,
  });
