// Smoke test of the TypeScript types openapi-typescript generates from the
// served document: a partner's code, typed by them, publishes an event and
// lists its deliveries against a real gateway (EVENTGATE_URL, EVENTGATE_KEY).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { components, paths } from "./gen/schema.js";

type SubscriptionInput = components["schemas"]["SubscriptionInput"];
type Subscription = paths["/v1/subscriptions"]["post"]["responses"]["201"]["content"]["application/json"];
type EventInput = components["schemas"]["EventInput"];
type Published = paths["/v1/events"]["post"]["responses"]["202"]["content"]["application/json"];
type DeliveryPage = paths["/v1/deliveries"]["get"]["responses"]["200"]["content"]["application/json"];
type Problem = components["schemas"]["Problem"];

const base = process.env.EVENTGATE_URL!;
const key = process.env.EVENTGATE_KEY!;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  if (!res.ok) {
    const problem = answer as Problem;
    throw new Error(`${method} ${path}: ${problem.status} ${problem.title}: ${problem.detail}`);
  }
  return answer as T;
}

test("publish an event and list its deliveries", { timeout: 20_000 }, async (t) => {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((ready) => receiver.listen(0, "127.0.0.1", ready));
  t.after(() => receiver.close());
  const { port } = receiver.address() as AddressInfo;

  const input: SubscriptionInput = {
    name: "typescript smoke test",
    channel: { type: "webhook", url: `http://127.0.0.1:${port}/hook` },
    filter: { event_types: ["smoke.*"] },
  };
  const sub = await call<Subscription>("POST", "/v1/subscriptions", input);
  assert.match(sub.secret ?? "", /^whsec_/);

  const event: EventInput = { type: "smoke.tested", data: { ok: true }, attributes: { lang: "ts", n: 1, typed: true } };
  const { id } = await call<Published>("POST", "/v1/events", event);
  assert.match(id ?? "", /^evt_/);

  let page: DeliveryPage;
  for (;;) {
    page = await call<DeliveryPage>("GET", `/v1/deliveries?event_id=${id}`);
    if (page.data?.[0]?.status === "succeeded") break;
    await new Promise((next) => setTimeout(next, 50));
  }
  assert.equal(page.data?.length, 1);
  assert.equal(page.data?.[0]?.subscription_id, sub.id);
  assert.equal(page.next, null);
});
