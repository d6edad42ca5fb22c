// Gatehouse organizer page: reads the organizer JSON API with the token kept in
// sessionStorage (this tab only, never the URL) and redraws every few seconds.
// Everything from the server is written with textContent: no HTML is built from data.
// Its words come from the server's catalogue (core/messages: the texts the kiosks and the
// CLI use too), in the language of ?lang= or else the browser's.
"use strict";

(function () {
  const TOKEN_KEY = "gatehouse.organizerToken";
  const EVENT_KEY = "gatehouse.event";
  const POLL_MS = 5000;
  const TIMEOUT_MS = 8000;

  const $ = (id) => document.getElementById(id);
  // Shown only when the server cannot even send the page its words.
  const NO_SERVER = "Cannot reach the Gatehouse server: check the network, or that the server is running.";
  let events = [];
  let timer = null;
  let lastGood = null; // Date of the last complete refresh
  let busy = false;

  // -- API ------------------------------------------------------------------------------

  class ApiFailure extends Error {
    constructor(kind, status, message) {
      super(message);
      this.kind = kind; // "network" | "auth" | "forbidden" | "missing" | "server"
      this.status = status;
    }
  }

  async function api(path, asText) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new ApiFailure("auth", 401, "no token");
    const ctrl = new AbortController();
    const timeout = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
    let r;
    try {
      r = await fetch(path, {
        headers: { Authorization: "Bearer " + token, Accept: asText ? "text/csv" : "application/json" },
        cache: "no-store",
        credentials: "omit",
        signal: ctrl.signal,
      });
    } catch (e) {
      const why = e && e.name === "AbortError" ? "dashboard.timed_out" : "dashboard.unreachable";
      throw new ApiFailure("network", 0, t(why));
    } finally {
      clearTimeout(timeout);
    }
    if (r.ok) return asText ? r.blob() : r.json();
    let message = r.statusText;
    try {
      const body = await r.json();
      if (body && body.message) message = body.message;
    } catch (e) {
      /* not JSON */
    }
    if (r.status === 401) throw new ApiFailure("auth", 401, message);
    if (r.status === 403) throw new ApiFailure("forbidden", 403, message);
    if (r.status === 404) throw new ApiFailure("missing", 404, message);
    throw new ApiFailure("server", r.status, message);
  }

  const paths = {
    events: () => `/v1/events`,
    stats: (e) => `/v1/events/${e}/stats`,
    activity: (e) => `/v1/events/${e}/activity`,
    devices: (e) => `/v1/events/${e}/devices`,
    conflicts: (e) => `/v1/events/${e}/conflicts`,
    anomalies: (e) => `/v1/events/${e}/anomalies`,
    attendanceCsv: (e) => `/v1/events/${e}/attendance?format=csv`,
    broadcasts: (e) => `/v1/events/${e}/broadcasts`,
    gates: (e) => `/v1/events/${e}/gates`,
  };

  // -- words ----------------------------------------------------------------------------

  let words = { lang: "en", dir: "ltr", texts: {} };
  let plurals = new Intl.PluralRules(words.lang);

  // A text of the catalogue with its {params} filled; a plural text picks its form by
  // params.n with the browser's plural rules (the catalogue's forms are CLDR categories).
  function t(key, params) {
    let text = words.texts[key];
    if (text == null) return key;
    if (typeof text === "object") {
      text = text[plurals.select(params && params.n != null ? params.n : 1)] || text.other;
    }
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      params && params[name] != null ? String(params[name]) : whole,
    );
  }

  // Words the page was written with: data-text names the text, data-param marks a child
  // (a <code>, the time-zone span) that stands for a {param}, data-label an aria-label.
  function applyWords() {
    document.documentElement.lang = words.lang;
    document.documentElement.dir = words.dir || "ltr";
    for (const node of document.querySelectorAll("[data-text]")) {
      const text = t(node.dataset.text);
      const params = new Map([...node.querySelectorAll("[data-param]")].map((p) => [p.dataset.param, p]));
      if (!params.size) {
        node.textContent = text;
        continue;
      }
      const parts = text.split(/\{(\w+)\}/); // odd indexes: a parameter's name
      node.replaceChildren(...parts.map((part, i) => (i % 2 ? params.get(part) || part : part)));
    }
    for (const node of document.querySelectorAll("[data-label]")) {
      node.setAttribute("aria-label", t(node.dataset.label));
    }
  }

  async function loadWords() {
    const wanted = new URLSearchParams(location.search).get("lang") || navigator.language || "en";
    try {
      const r = await fetch("/dashboard/texts/" + encodeURIComponent(wanted), {
        cache: "no-store",
        credentials: "omit",
      });
      if (r.ok) words = await r.json();
    } catch (e) {
      /* no server: the page keeps the English it was written in */
    }
    plurals = new Intl.PluralRules(words.lang);
    // numbers, amounts and times written as the chosen language writes them, not the browser's
    num = new Intl.NumberFormat(words.lang);
    money = new Intl.NumberFormat(words.lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    applyWords();
  }

  // -- formatting -----------------------------------------------------------------------

  // In the page's language (words.lang), set again once its words arrive (loadWords).
  let num = new Intl.NumberFormat(words.lang);
  let money = new Intl.NumberFormat(words.lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function clock(date) {
    return date.toLocaleTimeString(words.lang);
  }

  function timeFormat(tz) {
    const opts = {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23",
    };
    try {
      return new Intl.DateTimeFormat(words.lang, Object.assign({ timeZone: tz || "UTC" }, opts));
    } catch (e) {
      return new Intl.DateTimeFormat(words.lang, Object.assign({ timeZone: "UTC" }, opts));
    }
  }

  function at(fmt, unix) {
    return unix == null ? "–" : fmt.format(new Date(unix * 1000));
  }

  function ago(seconds) {
    if (seconds == null) return "";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return t("dashboard.seconds_ago", { n: s });
    if (s < 3600) return t("dashboard.minutes_ago", { n: Math.floor(s / 60) });
    if (s < 86400) {
      return t("dashboard.hours_ago", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
    }
    return t("dashboard.days_ago", { n: Math.floor(s / 86400) });
  }

  function shortId(id) {
    return id ? String(id).slice(0, 8) : "?";
  }

  // -- DOM helpers ----------------------------------------------------------------------

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text != null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function badge(text, kind) {
    return el("span", text, "badge " + kind);
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c && c.node) {
        td.appendChild(c.node);
        if (c.extra) td.appendChild(el("span", c.extra, "small"));
      } else if (c && typeof c === "object") {
        td.textContent = c.text;
        if (c.cls) td.className = c.cls;
      } else {
        td.textContent = c == null ? "–" : String(c);
      }
      tr.appendChild(td);
    }
    return tr;
  }

  function fill(tbodyId, rows, emptyText, cols) {
    const body = $(tbodyId);
    body.replaceChildren();
    if (!rows.length) {
      const td = el("td", emptyText, "empty");
      td.colSpan = cols;
      const tr = document.createElement("tr");
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    rows.forEach((r) => body.appendChild(r));
  }

  function n(value) {
    return { text: value == null ? "–" : num.format(value), cls: "num" };
  }

  // -- messages -------------------------------------------------------------------------

  function showBanner(text, kind) {
    const b = $("banner");
    if (!text) {
      b.hidden = true;
      b.textContent = "";
      return;
    }
    if (b.textContent !== text) b.textContent = text;
    b.className = "banner " + (kind || "error");
    b.hidden = false;
  }

  function explain(err) {
    if (!Object.keys(words.texts).length) return NO_SERVER;
    const since = lastGood ? " " + t("dashboard.figures_from", { time: clock(lastGood) }) : "";
    const seconds = POLL_MS / 1000;
    switch (err.kind) {
      case "network":
        return t("dashboard.cannot_reach", { host: location.host, problem: err.message, seconds }) + since;
      case "server":
        return t("dashboard.server_error", { status: err.status, message: err.message, seconds }) + since;
      case "missing":
        return t("dashboard.event_gone");
      default:
        return err.message;
    }
  }

  function signIn(message) {
    stop();
    sessionStorage.removeItem(TOKEN_KEY);
    $("board").hidden = true;
    $("sign-out").hidden = true;
    $("login").hidden = false;
    $("updated").textContent = "";
    const le = $("login-error");
    le.textContent = message || "";
    le.hidden = !message;
    showBanner("");
    $("token").value = "";
    $("token").focus();
  }

  function authMessage(err) {
    return t(err.kind === "forbidden" ? "dashboard.device_token" : "dashboard.token_refused");
  }

  // -- rendering ------------------------------------------------------------------------

  function currentEvent() {
    const id = Number($("event").value);
    return events.find((e) => e.id === id) || null;
  }

  function pickDefault(now) {
    const saved = Number(sessionStorage.getItem(EVENT_KEY));
    if (events.some((e) => e.id === saved)) return saved;
    const running = events.filter((e) => e.starts_at <= now && now <= e.ends_at);
    if (running.length) return running[0].id;
    const upcoming = events.filter((e) => e.starts_at > now).sort((a, b) => a.starts_at - b.starts_at);
    if (upcoming.length) return upcoming[0].id;
    return events.length ? events[events.length - 1].id : null;
  }

  function renderEventList(now) {
    const select = $("event");
    const keep = Number(select.value) || pickDefault(now);
    select.replaceChildren();
    for (const e of events) {
      const opt = el("option", e.name + " (#" + e.id + ")");
      opt.value = String(e.id);
      select.appendChild(opt);
    }
    if (keep != null && events.some((e) => e.id === keep)) select.value = String(keep);
    $("no-events").hidden = events.length > 0;
    $("event-view").hidden = events.length === 0;
    $("csv").disabled = events.length === 0;
  }

  function render(ev, stats, activity, devices, conflicts, anomalies) {
    const fmt = timeFormat(ev.timezone);
    const now = stats.server_time;
    $("event-when").textContent =
      at(fmt, ev.starts_at) + " – " + at(fmt, ev.ends_at) + " (" + (ev.timezone || "UTC") + ")";
    $("tz").textContent = ev.timezone || "UTC";

    $("f-tickets").textContent = num.format(stats.tickets);
    $("f-admitted").textContent = num.format(stats.admitted);
    $("f-admitted-note").textContent = stats.tickets
      ? t("dashboard.percent_of_tickets", { percent: Math.round((100 * stats.admitted) / stats.tickets) })
      : "";
    $("f-inside").textContent = num.format(stats.inside);
    const bar = $("inside-bar");
    const box = $("inside-box");
    if (ev.capacity) {
      const pct = (100 * stats.inside) / ev.capacity;
      let state = "";
      box.dataset.state = "ok";
      if (stats.inside >= ev.capacity) {
        state = " – " + t("dashboard.at_capacity");
        box.dataset.state = "full";
      } else if (pct >= 90) {
        state = " – " + t("dashboard.nearly_full");
        box.dataset.state = "warn";
      }
      $("f-capacity").textContent =
        t("dashboard.of_capacity", { capacity: num.format(ev.capacity), percent: Math.round(pct) }) + state;
      bar.style.width = Math.min(100, pct) + "%";
      bar.parentElement.hidden = false;
    } else {
      box.dataset.state = "ok";
      $("f-capacity").textContent = t("dashboard.no_capacity");
      bar.parentElement.hidden = true;
    }
    $("f-scans").textContent = num.format(stats.scans);
    $("f-rejected").textContent = t("dashboard.n_rejected", { n: num.format(stats.rejected) });
    $("f-conflicts").textContent = num.format(stats.conflicts);
    $("conflict-box").dataset.state = stats.conflicts ? "warn" : "ok";
    $("f-conflicts-note").textContent = t(stats.conflicts ? "dashboard.needs_a_look" : "dashboard.none");
    $("f-anomalies").textContent = num.format(stats.anomalies || 0);
    $("anomaly-box").dataset.state = stats.anomalies ? "warn" : "ok";
    $("f-anomalies-note").textContent = t(stats.anomalies ? "dashboard.scanned_too_often" : "dashboard.none");
    $("f-devices").textContent = t("dashboard.n_of_m", {
      n: num.format(stats.devices_online),
      total: num.format(stats.devices),
    });
    $("f-devices-note").textContent =
      stats.devices_online < stats.devices
        ? t("dashboard.n_offline", { n: stats.devices - stats.devices_online })
        : t(stats.devices ? "dashboard.all_online" : "dashboard.none_paired");

    // gates
    fill(
      "gates",
      activity.gates.map((g) =>
        row([
          g.gate == null ? t("dashboard.no_gate") : g.gate,
          n(g.entries),
          n(g.exits),
          n(g.rejected),
          g.last_at == null ? t("dashboard.no_scans_yet") : at(fmt, g.last_at),
        ]),
      ),
      t("dashboard.no_gates"),
      5,
    );

    // tiers
    fill(
      "tiers",
      stats.tiers.map((tier) => row([tier.name, n(tier.tickets), n(tier.admitted), n(tier.capacity)])),
      t("dashboard.no_tiers"),
      4,
    );

    // devices
    const scanBy = new Map(activity.devices.map((d) => [d.device_id, d]));
    const names = new Map(devices.map((d) => [d.device_id, d]));
    const deviceRows = devices.map((d) => {
      const s = scanBy.get(d.device_id);
      scanBy.delete(d.device_id);
      let conn;
      let pending;
      if (d.status !== "active") {
        conn = { node: badge(t("dashboard.revoked"), "bad") };
        pending = t("dashboard.no_longer_syncs");
      } else if (d.last_seen == null) {
        conn = { node: badge(t("dashboard.never_connected"), "warn") };
        pending = t("dashboard.not_synced");
      } else if (d.online) {
        conn = { node: badge(t("dashboard.online"), "good") };
        pending = t("dashboard.up_to_date");
      } else {
        conn = { node: badge(t("dashboard.offline"), "warn") };
        pending = t("dashboard.may_hold_scans", { time: at(fmt, d.last_seen) });
      }
      return row([
        { node: el("span", d.name), extra: " " + shortId(d.device_id) },
        (d.role || "") + (d.gate ? " · " + d.gate : ""),
        conn,
        d.last_seen == null ? t("dashboard.never") : ago(now - d.last_seen),
        n(s ? s.scans : 0),
        s ? at(fmt, s.last_scan_at) + " / " + at(fmt, s.last_upload_at) : "–",
        pending,
      ]);
    });
    for (const s of scanBy.values()) {
      deviceRows.push(
        row([
          { node: el("span", t("dashboard.unpaired_id")), extra: " " + shortId(s.device_id) },
          "–",
          { node: badge(t("dashboard.unknown"), "warn") },
          "–",
          n(s.scans),
          at(fmt, s.last_scan_at) + " / " + at(fmt, s.last_upload_at),
          "–",
        ]),
      );
    }
    fill("devices", deviceRows, t("dashboard.no_devices"), 7);

    // conflicts
    const scanDesc = (s) => {
      const d = names.get(s.device_id);
      const who = d ? d.name + " (" + shortId(s.device_id) + ")" : shortId(s.device_id);
      return t("dashboard.scan_at_gate", { time: at(fmt, s.at), gate: s.gate || "?", who });
    };
    const kinds = {
      double_entry: "dashboard.conflict.double_entry",
      reentry_passback: "dashboard.conflict.reentry_passback",
      revoked_admitted: "dashboard.conflict.revoked_admitted",
      transferred_admitted: "dashboard.conflict.transferred_admitted",
    };
    // revoked_admitted / transferred_admitted have no first scan: the ticket had ended
    const statusWord = (status) =>
      status ? (words.texts["verdict.status." + status] ? t("verdict.status." + status) : status) : t("dashboard.ended");
    const endDesc = (e) =>
      (e.replaced_by
        ? t("dashboard.ended_to", { status: statusWord(e.status), ticket: e.replaced_by })
        : statusWord(e.status)) +
      " " +
      (e.at != null ? at(fmt, e.at) : t("dashboard.time_unknown"));
    fill(
      "conflicts",
      conflicts.map((c) =>
        row([
          { node: el("span", c.number), extra: c.holder ? " " + c.holder : "" },
          kinds[c.kind] ? t(kinds[c.kind]) : c.kind || t("dashboard.conflict.double_entry"),
          c.first ? scanDesc(c.first) : endDesc(c.ended || {}),
          scanDesc(c.second),
        ]),
      ),
      t("dashboard.no_conflicts"),
      4,
    );

    // anomalies: scans the doors flagged (an unlimited pass scanned too often in a minute)
    const deviceName = (id) => {
      const d = names.get(id);
      return d ? d.name + " (" + shortId(id) + ")" : shortId(id);
    };
    fill(
      "anomalies",
      anomalies.map((a) =>
        row([
          { node: el("span", a.number || t("dashboard.unknown_ticket")), extra: a.holder ? " " + a.holder : "" },
          a.tier || "?",
          t("dashboard.scans_in_span", { n: num.format(a.scans || 1), seconds: Math.round(a.span_s || 0) }) + " · " +
            (a.scans > 1 ? at(fmt, a.first_at) + " – " : "") + at(fmt, a.at),
          ((a.gates && a.gates.length ? a.gates : [a.gate || "?"]).join(", ")) + " · " +
            (a.devices && a.devices.length ? a.devices : [a.device_id]).map(deviceName).join(", "),
          {
            node:
              a.verdict === "reject"
                ? badge(t("dashboard.refused"), "bad")
                : badge(t("dashboard.admitted"), "warn"),
          },
        ]),
      ),
      t("dashboard.no_anomalies"),
      5,
    );

    // box office
    const bo = stats.box_office || {};
    const dl = $("sales");
    dl.replaceChildren();
    const pair = (k, v) => {
      dl.appendChild(el("dt", k));
      dl.appendChild(el("dd", v));
    };
    pair(t("dashboard.sales"), num.format(bo.sales || 0));
    pair(t("dashboard.tickets_sold"), num.format(bo.tickets || 0));
    pair(t("dashboard.taken"), money.format((bo.amount_cents || 0) / 100));
    pair(
      t("dashboard.flagged"),
      bo.flags ? t("dashboard.flagged_n", { n: num.format(bo.flags) }) : t("dashboard.none"),
    );
    pair(t("dashboard.reservations_open"), num.format(stats.reservations_active || 0));
    const methods = Object.entries(bo.by_method || {});
    fill(
      "methods",
      methods.map(([m, v]) =>
        row([
          words.texts["payment." + m] ? t("payment." + m) : m,
          n(v.sales),
          { text: money.format(v.amount_cents / 100), cls: "num" },
        ]),
      ),
      t("dashboard.no_sales"),
      3,
    );
  }

  // -- broadcasts (message the gates) ---------------------------------------------------

  // A POST with a JSON body (sending a broadcast): same token, same errors as api().
  async function post(path, body) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new ApiFailure("auth", 401, "no token");
    let r;
    try {
      r = await fetch(path, {
        method: "POST",
        headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (e) {
      throw new ApiFailure("network", 0, "unreachable");
    }
    let data = null;
    try {
      data = await r.json();
    } catch (e) {
      /* not JSON */
    }
    if (r.ok) return data;
    const message = (data && data.message) || r.statusText;
    if (r.status === 401) throw new ApiFailure("auth", 401, message);
    if (r.status === 403) throw new ApiFailure("forbidden", 403, message);
    throw new ApiFailure(r.status === 404 ? "missing" : "server", r.status, message);
  }

  const LEVELS = {
    info: ["dashboard.broadcast.info", "good"],
    warning: ["dashboard.broadcast.warning", "warn"],
    emergency: ["dashboard.broadcast.emergency", "bad"],
  };
  let shownGates = "";

  function renderBroadcasts(ev, rows, gates) {
    const key = gates.map((g) => g.id + ":" + g.name).join("|");
    if (key !== shownGates) { // rebuilt only when the gates change: keeps what was ticked
      shownGates = key;
      const box = $("broadcast-gates");
      box.querySelectorAll(".gate-choice").forEach((n) => n.remove());
      for (const g of gates) {
        const label = el("label", null, "gate-choice");
        const input = document.createElement("input");
        input.type = "checkbox";
        input.value = String(g.id);
        input.addEventListener("change", () => {
          $("broadcast-all").checked = !box.querySelector(".gate-choice input:checked");
        });
        label.append(input, " " + g.name);
        box.appendChild(label);
      }
    }
    const fmt = timeFormat(ev.timezone);
    fill(
      "broadcasts",
      rows.map((b) => {
        const [level, kind] = LEVELS[b.level] || [null, "warn"];
        const word = level ? t(level) : b.level;
        const acks = (b.acks || []).map(
          (a) => t("dashboard.broadcast.ack", {
            staff: a.staff || t("dashboard.broadcast.nobody"),
            role: a.role || "–",
            device: a.device_name || shortId(a.device_id),
            gate: a.gate ? ", " + a.gate : "",
            time: at(fmt, a.at),
          }) +
            (a.verified === false ? " " + t("dashboard.broadcast.claimed") : "") +
            (a.time_adjusted ? " " + t("dashboard.broadcast.adjusted") : ""),
        );
        const waiting = (b.waiting || []).map(
          (w) => (w.name || shortId(w.device_id)) + (w.gate ? " (" + w.gate + ")" : "") +
            (w.online ? "" : ", " + t("dashboard.broadcast.offline")),
        );
        // The last cell: who has not acknowledged yet, and the organizer's way to end the
        // message (a false alarm, or the danger is over): every kiosk lifts it at its next sync.
        const last = el("span", waiting.join("; ") || "–");
        if (b.withdrawn_at) {
          last.textContent = t("dashboard.broadcast.ended", { time: at(fmt, b.withdrawn_at) });
        } else {
          const end = el("button", t("dashboard.broadcast.end"), "end-broadcast");
          end.type = "button";
          end.dataset.id = String(b.id);
          end.title = t("dashboard.broadcast.end_title");
          end.addEventListener("click", () => endBroadcast(ev, b.id, end));
          last.append(" ", end);
        }
        return row([
          at(fmt, b.sent_at),
          { node: badge(word, kind) },
          b.gate_names ? b.gate_names.join(", ") : t("dashboard.broadcast.every_gate"),
          b.text,
          acks.join("; ") || t("dashboard.broadcast.nobody_yet"),
          { node: last },
        ]);
      }),
      t("dashboard.broadcast.none"),
      6,
    );
  }

  async function endBroadcast(ev, id, button) {
    const status = $("broadcast-status");
    button.disabled = true;
    try {
      await post(paths.broadcasts(ev.id) + "/" + id + "/withdraw", {});
      status.textContent = t("dashboard.broadcast.ended_status", { id });
      refresh();
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      button.disabled = false;
      status.textContent = t("dashboard.broadcast.not_ended", { problem: err.status ? err.message : explain(err) });
    }
  }

  async function sendBroadcast(e) {
    e.preventDefault();
    const ev = currentEvent();
    const text = $("broadcast-text").value.trim();
    if (!ev || !text) return;
    const ticked = [...document.querySelectorAll("#broadcast-gates .gate-choice input:checked")];
    const gates = $("broadcast-all").checked || !ticked.length ? null : ticked.map((i) => Number(i.value));
    const status = $("broadcast-status");
    $("broadcast-send").disabled = true;
    status.textContent = t("dashboard.broadcast.sending");
    try {
      const sent = await post(paths.broadcasts(ev.id), { text, level: $("broadcast-level").value, gates });
      $("broadcast-text").value = "";
      const where = sent.gate_names ? sent.gate_names.join(", ") : t("dashboard.broadcast.every_gate_lower");
      status.textContent = t("dashboard.broadcast.sent", { where });
      refresh();
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      status.textContent = t("dashboard.broadcast.not_sent", { problem: err.status ? err.message : explain(err) });
    } finally {
      $("broadcast-send").disabled = false;
    }
  }

  // -- refresh loop ---------------------------------------------------------------------

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      events = await api(paths.events());
      renderEventList(Date.now() / 1000);
      $("login").hidden = true;
      $("board").hidden = false;
      $("sign-out").hidden = false;
      const ev = currentEvent();
      if (ev) {
        const id = ev.id;
        const [stats, activity, devices, conflicts, anomalies, broadcasts, gates] =
          await Promise.all([
            api(paths.stats(id)),
            api(paths.activity(id)),
            api(paths.devices(id)),
            api(paths.conflicts(id)),
            api(paths.anomalies(id)),
            api(paths.broadcasts(id)),
            api(paths.gates(id)),
          ]);
        if (Number($("event").value) === id) {
          render(ev, stats, activity, devices, conflicts, anomalies);
          renderBroadcasts(ev, broadcasts, gates);
        }
      }
      lastGood = new Date();
      $("updated").textContent = t("dashboard.updated", { time: clock(lastGood) });
      showBanner("");
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      showBanner(explain(err), "error");
      $("updated").textContent = lastGood ? t("dashboard.stale", { time: clock(lastGood) }) : "";
    } finally {
      busy = false;
    }
    schedule();
  }

  function schedule() {
    stop();
    timer = setTimeout(refresh, POLL_MS);
  }

  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  async function downloadCsv() {
    const ev = currentEvent();
    if (!ev) return;
    const status = $("csv-status");
    status.textContent = t("dashboard.preparing");
    try {
      const blob = await api(paths.attendanceCsv(ev.id), true);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = "attendance-event-" + ev.id + ".csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = t("dashboard.downloaded", { file: a.download });
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      status.textContent = "";
      showBanner(t("dashboard.download_failed") + " " + explain(err), "error");
    }
  }

  function start() {
    $("login-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const token = $("token").value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      $("login-error").hidden = true;
      refresh();
    });
    $("sign-out").addEventListener("click", () => signIn(t("dashboard.signed_out")));
    $("event").addEventListener("change", () => {
      sessionStorage.setItem(EVENT_KEY, $("event").value);
      $("csv-status").textContent = "";
      refresh();
    });
    $("csv").addEventListener("click", downloadCsv);
    $("broadcast-form").addEventListener("submit", sendBroadcast);
    $("broadcast-all").addEventListener("change", () => {
      if ($("broadcast-all").checked) {
        document.querySelectorAll("#broadcast-gates .gate-choice input").forEach((i) => { i.checked = false; });
      }
    });
    if (sessionStorage.getItem(TOKEN_KEY)) refresh();
    else signIn("");
  }

  loadWords().then(start);
})();
