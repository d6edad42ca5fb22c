// Gatehouse organizer page: reads the organizer JSON API with the token kept in
// sessionStorage (this tab only, never the URL) and redraws every few seconds.
// Everything from the server is written with textContent: no HTML is built from data.
"use strict";

(function () {
  const TOKEN_KEY = "gatehouse.organizerToken";
  const EVENT_KEY = "gatehouse.event";
  const POLL_MS = 5000;
  const TIMEOUT_MS = 8000;

  const $ = (id) => document.getElementById(id);
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
    const t = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
    let r;
    try {
      r = await fetch(path, {
        headers: { Authorization: "Bearer " + token, Accept: asText ? "text/csv" : "application/json" },
        cache: "no-store",
        credentials: "omit",
        signal: ctrl.signal,
      });
    } catch (e) {
      throw new ApiFailure("network", 0, e && e.name === "AbortError" ? "timed out" : "unreachable");
    } finally {
      clearTimeout(t);
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

  // -- formatting -----------------------------------------------------------------------

  const num = new Intl.NumberFormat();
  const METHODS = { cash: "Cash", card: "Card", upi: "UPI", other: "Other" };
  const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function timeFormat(tz) {
    const opts = {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23",
    };
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: tz || "UTC" }, opts));
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: "UTC" }, opts));
    }
  }

  function at(fmt, unix) {
    return unix == null ? "–" : fmt.format(new Date(unix * 1000));
  }

  function ago(seconds) {
    if (seconds == null) return "";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min ago";
    return Math.floor(s / 86400) + " days ago";
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
    const since = lastGood ? " Figures below are from " + lastGood.toLocaleTimeString() + "." : "";
    switch (err.kind) {
      case "network":
        return (
          "Cannot reach the Gatehouse server at " + location.host + " (" + err.message + "). " +
          "Check the network, or that the server is running. Trying again every " +
          POLL_MS / 1000 + " seconds." + since
        );
      case "server":
        return (
          "The server could not answer (error " + err.status + ": " + err.message + "). " +
          "Trying again every " + POLL_MS / 1000 + " seconds." + since
        );
      case "missing":
        return "That event no longer exists on the server: pick another one.";
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
    if (err.kind === "forbidden") {
      return (
        "That is a device token, not an organizer token. Paste the organizer token " +
        "(it starts with gho_)."
      );
    }
    return (
      "The server did not accept that token: it is unknown or was revoked. " +
      "Paste a current organizer token."
    );
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
      ? Math.round((100 * stats.admitted) / stats.tickets) + "% of tickets"
      : "";
    $("f-inside").textContent = num.format(stats.inside);
    const bar = $("inside-bar");
    const box = $("inside-box");
    if (ev.capacity) {
      const pct = (100 * stats.inside) / ev.capacity;
      let state = "";
      box.dataset.state = "ok";
      if (stats.inside >= ev.capacity) {
        state = " – AT CAPACITY";
        box.dataset.state = "full";
      } else if (pct >= 90) {
        state = " – nearly full";
        box.dataset.state = "warn";
      }
      $("f-capacity").textContent =
        "of " + num.format(ev.capacity) + " capacity (" + Math.round(pct) + "%)" + state;
      bar.style.width = Math.min(100, pct) + "%";
      bar.parentElement.hidden = false;
    } else {
      box.dataset.state = "ok";
      $("f-capacity").textContent = "no capacity limit set";
      bar.parentElement.hidden = true;
    }
    $("f-scans").textContent = num.format(stats.scans);
    $("f-rejected").textContent = num.format(stats.rejected) + " rejected";
    $("f-conflicts").textContent = num.format(stats.conflicts);
    $("conflict-box").dataset.state = stats.conflicts ? "warn" : "ok";
    $("f-conflicts-note").textContent = stats.conflicts ? "needs a look (see below)" : "none";
    $("f-anomalies").textContent = num.format(stats.anomalies || 0);
    $("anomaly-box").dataset.state = stats.anomalies ? "warn" : "ok";
    $("f-anomalies-note").textContent = stats.anomalies ? "passes scanned too often (see below)" : "none";
    $("f-devices").textContent = num.format(stats.devices_online) + " of " + num.format(stats.devices);
    $("f-devices-note").textContent =
      stats.devices_online < stats.devices
        ? stats.devices - stats.devices_online + " offline"
        : stats.devices
          ? "all online"
          : "none paired";

    // gates
    fill(
      "gates",
      activity.gates.map((g) =>
        row([
          g.gate == null ? "(no gate)" : g.gate,
          n(g.entries),
          n(g.exits),
          n(g.rejected),
          g.last_at == null ? "no scans yet" : at(fmt, g.last_at),
        ]),
      ),
      "No gates yet.",
      5,
    );

    // tiers
    fill(
      "tiers",
      stats.tiers.map((t) => row([t.name, n(t.tickets), n(t.admitted), n(t.capacity)])),
      "No tiers yet.",
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
        conn = { node: badge("Revoked", "bad") };
        pending = "No longer syncs";
      } else if (d.last_seen == null) {
        conn = { node: badge("Never connected", "warn") };
        pending = "Not synced since pairing";
      } else if (d.online) {
        conn = { node: badge("Online", "good") };
        pending = "Up to date";
      } else {
        conn = { node: badge("Offline", "warn") };
        pending = "May hold scans made since " + at(fmt, d.last_seen) + ": they arrive when it reconnects";
      }
      return row([
        { node: el("span", d.name), extra: " " + shortId(d.device_id) },
        (d.role || "") + (d.gate ? " · " + d.gate : ""),
        conn,
        d.last_seen == null ? "never" : ago(now - d.last_seen),
        n(s ? s.scans : 0),
        s ? at(fmt, s.last_scan_at) + " / " + at(fmt, s.last_upload_at) : "–",
        pending,
      ]);
    });
    for (const s of scanBy.values()) {
      deviceRows.push(
        row([
          { node: el("span", "Unpaired id"), extra: " " + shortId(s.device_id) },
          "–",
          { node: badge("Unknown", "warn") },
          "–",
          n(s.scans),
          at(fmt, s.last_scan_at) + " / " + at(fmt, s.last_upload_at),
          "–",
        ]),
      );
    }
    fill("devices", deviceRows, "No devices paired for this event.", 7);

    // conflicts
    const scanDesc = (s) => {
      const d = names.get(s.device_id);
      const who = d ? d.name + " (" + shortId(s.device_id) + ")" : shortId(s.device_id);
      return at(fmt, s.at) + " · gate " + (s.gate || "?") + " · " + who;
    };
    const kinds = {
      double_entry: "Entered twice",
      reentry_passback: "Re-entry pass-back",
      revoked_admitted: "Admitted after refund",
      transferred_admitted: "Old code after transfer",
    };
    // revoked_admitted / transferred_admitted have no first scan: the ticket had ended
    const endDesc = (e) =>
      (e.status || "ended") +
      (e.replaced_by ? " to " + e.replaced_by : "") +
      " " +
      (e.at != null ? at(fmt, e.at) : "(time unknown)");
    fill(
      "conflicts",
      conflicts.map((c) =>
        row([
          { node: el("span", c.number), extra: c.holder ? " " + c.holder : "" },
          kinds[c.kind] || c.kind || "Entered twice",
          c.first ? scanDesc(c.first) : endDesc(c.ended || {}),
          scanDesc(c.second),
        ]),
      ),
      "No conflicts.",
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
          { node: el("span", a.number || "Unknown ticket"), extra: a.holder ? " " + a.holder : "" },
          a.tier || "?",
          num.format(a.scans || 1) + " in " + Math.round(a.span_s || 0) + " s · " +
            (a.scans > 1 ? at(fmt, a.first_at) + " – " : "") + at(fmt, a.at),
          ((a.gates && a.gates.length ? a.gates : [a.gate || "?"]).join(", ")) + " · " +
            (a.devices && a.devices.length ? a.devices : [a.device_id]).map(deviceName).join(", "),
          { node: a.verdict === "reject" ? badge("Refused", "bad") : badge("Admitted", "warn") },
        ]),
      ),
      "No anomalies.",
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
    pair("Sales", num.format(bo.sales || 0));
    pair("Tickets sold", num.format(bo.tickets || 0));
    pair("Taken", money.format((bo.amount_cents || 0) / 100));
    pair("Flagged", bo.flags ? num.format(bo.flags) + " (paid twice, late or over allocation)" : "none");
    pair("Reservations open", num.format(stats.reservations_active || 0));
    const methods = Object.entries(bo.by_method || {});
    fill(
      "methods",
      methods.map(([m, v]) =>
        row([METHODS[m] || m, n(v.sales), { text: money.format(v.amount_cents / 100), cls: "num" }]),
      ),
      "No box-office sales yet.",
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

  const LEVELS = { info: ["Info", "good"], warning: ["Warning", "warn"], emergency: ["Emergency", "bad"] };
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
        const [word, kind] = LEVELS[b.level] || [b.level, "warn"];
        const acks = (b.acks || []).map(
          (a) => (a.staff || "nobody signed in") + " (" + (a.role || "–") + ") at " +
            (a.device_name || shortId(a.device_id)) + (a.gate ? ", " + a.gate : "") + ", " + at(fmt, a.at),
        );
        const waiting = (b.waiting || []).map(
          (w) => (w.name || shortId(w.device_id)) + (w.gate ? " (" + w.gate + ")" : "") +
            (w.online ? "" : ", offline"),
        );
        return row([
          at(fmt, b.sent_at),
          { node: badge(word, kind) },
          b.gate_names ? b.gate_names.join(", ") : "Every gate",
          b.text,
          acks.join("; ") || "Nobody yet",
          waiting.join("; ") || "–",
        ]);
      }),
      "No messages sent to the gates yet.",
      6,
    );
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
    status.textContent = "Sending…";
    try {
      const sent = await post(paths.broadcasts(ev.id), { text, level: $("broadcast-level").value, gates });
      $("broadcast-text").value = "";
      status.textContent = "Sent to " + (sent.gate_names ? sent.gate_names.join(", ") : "every gate") + ".";
      refresh();
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      status.textContent = "Not sent: " + (err.status ? err.message : explain(err));
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
      $("updated").textContent = "Updated " + lastGood.toLocaleTimeString();
      showBanner("");
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      showBanner(explain(err), "error");
      $("updated").textContent = lastGood ? "Last update " + lastGood.toLocaleTimeString() + " (stale)" : "";
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
    status.textContent = "Preparing…";
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
      status.textContent = "Downloaded " + a.download;
    } catch (err) {
      if (err.kind === "auth" || err.kind === "forbidden") {
        signIn(authMessage(err));
        return;
      }
      status.textContent = "";
      showBanner("The attendance file could not be downloaded. " + explain(err), "error");
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
    $("sign-out").addEventListener("click", () => signIn("Signed out."));
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

  start();
})();
