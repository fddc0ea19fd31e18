// The runner's status page: polls status.json and redraws the tables. Every value goes in through
// textContent, never as HTML: channel names and reasons come from the database and are data.
"use strict";
(function () {
  const refreshMs = 2000;

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  function fill(id, items, cellsOf, empty) {
    const body = document.querySelector("#" + id + " tbody");
    const rows = items.map(function (item) {
      const tr = document.createElement("tr");
      cellsOf(item).forEach(function (td) { tr.appendChild(td); });
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      const td = cell(empty);
      td.colSpan = document.querySelectorAll("#" + id + " th").length;
      tr.appendChild(td);
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
  }

  function load(channel) {
    const bar = document.createElement("span");
    bar.className = "bar";
    const inner = document.createElement("span");
    const share = channel.capacity > 0 ? Math.min(1, channel.running / channel.capacity) : 0;
    inner.style.width = Math.round(share * 100) + "%";
    if (share >= 1) bar.className = "bar full";
    bar.appendChild(inner);
    const td = document.createElement("td");
    td.appendChild(bar);
    td.title = channel.capacity > 0 ? channel.running + " of " + channel.capacity : "unlimited";
    return td;
  }

  function time(iso) { return iso.substring(11, 19); }

  function dispatchCells(d) {
    return [cell(time(d.at)), cell(d.database), cell(d.channel), cell(d.uuid),
      cell(d.outcome, d.outcome === "ok" || d.outcome === "timeout" ? "good" : "bad")];
  }

  function render(s) {
    const problems = [];
    if (!s.loopAlive) problems.push("scheduling loop not running");
    if (s.starting) problems.push("starting: not every database tried yet");
    if (s.discoveryFailure) problems.push("database discovery failed: " + s.discoveryFailure);
    if (!s.fleetMember) problems.push("fleet: " + s.fleet);
    const fleet = document.getElementById("fleet");
    fleet.hidden = !s.fleet;
    fleet.textContent = s.fleet ? "Fleet: " + s.fleet : "";
    s.databases.forEach(function (d) { if (!d.served) problems.push(d.name + " not served"); });
    const summary = document.getElementById("summary");
    summary.textContent = problems.length === 0
      ? "Healthy: " + s.databases.filter(function (d) { return d.leading; }).length + " of " + s.databases.length + " databases led here, version " + s.version
      : "Unhealthy: " + problems.join("; ");
    summary.className = "summary " + (problems.length === 0 ? "good" : "bad");

    fill("databases", s.databases, function (d) {
      return [cell(d.name), cell(d.status, d.served ? "good" : "bad"), cell(d.leading ? "yes" : "no"), cell(d.reason)];
    }, "no database served yet");
    fill("channels", s.channels, function (c) {
      return [cell(c.name), cell(c.capacity > 0 ? c.capacity : "unlimited", "number"), cell(c.running, "number"),
        cell(c.queued, "number"), cell(c.waitingForEta, "number"), cell(c.failed, "number"), load(c)];
    }, "no channel");
    fill("failures", s.lastFailures, dispatchCells, "none");
    fill("dispatches", s.lastDispatches, dispatchCells, "none yet");
    document.getElementById("updated").textContent = "Updated " + s.at.substring(0, 19).replace("T", " ") + " UTC; refreshed every " + refreshMs / 1000 + " s.";
  }

  function refresh() {
    fetch("status.json", { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        const summary = document.getElementById("summary");
        summary.textContent = "Cannot read the runner's status: " + error.message;
        summary.className = "summary bad";
      });
  }

  refresh();
  setInterval(refresh, refreshMs);
})();
