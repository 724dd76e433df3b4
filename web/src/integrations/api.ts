/** REST of the integrations: webhooks and their deliveries, API tokens, sign-in settings, room mail. */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";

export const WEBHOOK_EVENTS = ["interview.created", "interview.ended", "scorecard.submitted"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  created_at: string;
}

export interface Delivery {
  id: string;
  event_type: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  created_at: string;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string;
  delivered_at: string | null;
}

export interface ApiToken {
  id: string;
  name: string;
  hint: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SignInOptions {
  oidc_enabled: boolean;
  oidc_name: string;
  password_login_enabled: boolean;
}

export interface SignInSettings {
  password_login_enabled: boolean;
  oidc_enabled: boolean;
  oidc_issuer: string;
  oidc_allowed_domains: string[];
}

export interface RoomMail {
  id: number;
  kind: "invitation" | "update" | "cancel";
  to: string;
  subject: string;
  calendar: "REQUEST" | "CANCEL" | null;
  status: "pending" | "sent" | "failed";
  attempts: number;
  last_error: string;
  created_at: string;
  sent_at: string | null;
}

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
    queryFn: ({ signal }) => api<{ items: Webhook[] }>("/api/webhooks", { signal }).then((r) => r.items),
  });

export const deliveriesQuery = (id: string) =>
  queryOptions({
    queryKey: integrationKeys.deliveries(id),
    queryFn: ({ signal }) => api<{ items: Delivery[]; total: number }>(`/api/webhooks/${id}/deliveries?limit=50`, { signal }),
    // Deliveries move on their own (retries): keep the list fresh while it is open.
    refetchInterval: 3000,
  });

export const createWebhook = (body: { url: string; events: string[]; description: string }) =>
  api<Webhook & { secret: string }>("/api/webhooks", { method: "POST", body });
export const deleteWebhook = (id: string) => api<undefined>(`/api/webhooks/${id}`, { method: "DELETE" });
export const sendTestEvent = (id: string) => api<Delivery>(`/api/webhooks/${id}/test`, { method: "POST" });

export const tokensQuery = () =>
  queryOptions({
    queryKey: integrationKeys.tokens,
    queryFn: ({ signal }) => api<{ items: ApiToken[] }>("/api/me/tokens", { signal }).then((r) => r.items),
  });
export const createToken = (body: { name: string; scopes: string[] }) =>
  api<ApiToken & { token: string }>("/api/me/tokens", { method: "POST", body });
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
export const updateSignInSettings = (body: { password_login_enabled: boolean }) =>
  api<SignInSettings>("/api/settings/sign-in", { method: "PUT", body });

export const roomMailQuery = (roomId: string) =>
  queryOptions({
    queryKey: integrationKeys.mail(roomId),
    queryFn: ({ signal }) => api<{ configured: boolean; items: RoomMail[] }>(`/api/rooms/${roomId}/mail`, { signal }),
    refetchInterval: 5000,
  });
