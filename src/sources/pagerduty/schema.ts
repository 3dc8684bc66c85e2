/**
 * PagerDuty REST API v2 payloads, checked at the boundary. Only what the adapter reads is required.
 * - `GET /oncalls`: `{ oncalls: [{ user, schedule, escalation_policy, escalation_level, start, end }],
 *   limit, offset, more }`; `user` is a reference whose `summary` is the person's name (we never ask
 *   for `include[]=users`, so no contact details ever reach us).
 * - `GET /incidents`: `{ incidents: [{ id, incident_number, title, status, urgency, created_at,
 *   resolved_at?, last_status_change_at, html_url, service: { id } }], limit, offset, more }`.
 * Errors are `{ error: { message, code, errors: [] } }`.
 */
import { z } from 'zod';

const reference = z.object({ id: z.string(), summary: z.string().nullish() }).loose();

export const oncall = z
  .object({
    user: reference.nullish(),
    schedule: reference.nullish(),
    escalation_policy: reference.nullish(),
    escalation_level: z.number().int().nullish(),
    /** null: the entry has no end (an escalation rule pointing at a user directly). */
    start: z.string().nullish(),
    end: z.string().nullish(),
  })
  .loose();

export const page = {
  limit: z.number().int().nullish(),
  offset: z.number().int().nullish(),
  more: z.boolean().nullish(),
};

export const oncallsPage = z.object({ oncalls: z.array(oncall), ...page }).loose();

export const incident = z
  .object({
    id: z.string(),
    incident_number: z.number().int().nullish(),
    title: z.string().nullish(),
    summary: z.string().nullish(),
    status: z.string().nullish(),
    urgency: z.string().nullish(),
    created_at: z.string(),
    resolved_at: z.string().nullish(),
    last_status_change_at: z.string().nullish(),
    html_url: z.string().nullish(),
    service: reference,
  })
  .loose();

export const incidentsPage = z.object({ incidents: z.array(incident), ...page }).loose();

export type Oncall = z.infer<typeof oncall>;
export type Incident = z.infer<typeof incident>;
