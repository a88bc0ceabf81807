/*
 * The log view's markup (see markup-shell.js): the header with the integrity badge, the filters,
 * the table of activities and the pager.
 */

export const logMarkup = `
<template id="tpl-log">
  <section class="view">
    <div class="page-header">
      <div class="page-title">
        <h1>Audit log</h1>
        <p class="muted page-sub">Activity in <span id="org-name"></span>, newest first.</p>
        <!-- Filled in after the first page of the log: verifying a big org takes a while. -->
        <div class="integrity" id="integrity">
          <p class="integrity-badge is-loading" id="integrity-badge" role="status" aria-live="polite">
            <span class="integrity-icon" id="integrity-icon" aria-hidden="true"></span>
            <span class="integrity-text" id="integrity-text">Checking integrity…</span>
          </p>
          <button type="button" class="btn btn-default btn-small" id="integrity-recheck"
                  aria-disabled="true">Re-check</button>
          <details class="integrity-problems" id="integrity-problems" hidden>
            <summary>Show all problems</summary>
            <ol id="integrity-problem-list"></ol>
          </details>
        </div>
      </div>
      <div class="page-actions">
        <button type="button" class="btn btn-subtle" id="destinations-open">Destinations</button>
        <button type="button" class="btn btn-subtle" id="api-keys-open">API keys</button>
        <button type="button" class="btn btn-default" id="export-open">Export log</button>
      </div>
    </div>

    <form id="filters" class="filters" novalidate>
      <div class="field field-search">
        <label for="f-q">Search</label>
        <input type="search" id="f-q" name="q" placeholder="Exact name, e-mail, group or site"
               autocomplete="off" spellcheck="false">
      </div>
      <div class="field field-range">
        <label for="f-range">Range</label>
        <select id="f-range" name="range">
          <option value="">Any time</option>
          <option value="24h">Last 24 hours</option>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="180d">Last 180 days</option>
        </select>
      </div>
      <div class="field field-date">
        <label for="f-from">From</label>
        <input type="date" id="f-from" name="from" title="Start of the day, UTC">
      </div>
      <div class="field field-date">
        <label for="f-to">To</label>
        <input type="date" id="f-to" name="to" title="End of the day, UTC">
      </div>
      <div class="field field-activity">
        <label for="f-action">Activity</label>
        <select id="f-action" name="action">
          <option value="">All activities</option>
        </select>
      </div>
      <div class="field field-submit">
        <button type="submit" class="btn btn-primary" id="apply">Apply</button>
      </div>
    </form>
    <div class="active-filters" id="active-filters" hidden></div>

    <div class="alert alert-error" id="log-error" role="alert"></div>
    <p class="sr-only" id="log-status" role="status" aria-live="polite"></p>

  <!-- Drawn by activity-chart.js: events per hour or day for the applied filters. No
       accessible name holds the word "activity": tests find the Activity select by label. -->
  <div class="activity-chart" id="activity-chart"></div>

    <div class="table-wrap">
      <table class="events" id="events-table">
        <colgroup>
          <col class="c-date"><col class="c-actor"><col class="c-action"><col class="c-details">
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody id="events-body"></tbody>
      </table>
      <p class="empty" id="events-empty" hidden>No activity matches these filters.</p>
      <p class="loading muted" id="events-loading" hidden>Loading activity…</p>
    </div>

    <div class="pager">
      <button type="button" class="btn btn-default" id="load-more" hidden>Load more</button>
    </div>
  </section>
</template>
`;
