/* reelrec's page: plain JavaScript over the API's own routes. Text from the API only ever reaches the page through
   textContent (el() below), never as HTML. */
"use strict";

(() => {
  const PLATFORMS = { amazon: "Amazon Prime Video", disney: "Disney+", hulu: "Hulu", netflix: "Netflix" };
  const TYPES = { movie: "Movie", "tv show": "TV show" };
  const K = 12; // recommendations per list
  const SIMILAR_K = 8;
  const SEARCH_LIMIT = 10;
  const STORE_KEY = "reelrec.ratings.v1";

  // The API's routes sit beside the page: "/" under chalice local, "/api/" behind API Gateway's stage. The page's
  // path with a trailing slash is that folder whether the page was opened as /api or /api/.
  const BASE = new URL(location.pathname.replace(/\/?$/, "/"), location.origin);

  const $ = (id) => document.getElementById(id);

  /** An element with properties (class, text, on<event>, attributes) and children (nodes or plain text). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && typeof body.message === "string" && body.message) || `the server answered ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  /** JSON from an API route (a path relative to the page); an ApiError for any answer but 2xx. */
  async function api(path, options = {}) {
    let response;
    try {
      response = await fetch(new URL(path, BASE), { headers: { Accept: "application/json" }, ...options });
    } catch (err) {
      throw new ApiError(0, { message: `the API could not be reached (${err.message})` });
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  function postJson(path, payload) {
    return api(path, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
  }

  /** A query string of the non-empty values. */
  function query(values) {
    // %20 for spaces, not URLSearchParams' "+": API Gateway is not trusted to read "+" as a space
    return Object.entries(values)
      .filter(([, value]) => value !== null && value !== undefined && String(value).trim() !== "")
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
      .join("&");
  }

  /** An error in words: what kind of problem, then the API's own message. */
  function explain(err) {
    if (!(err instanceof ApiError)) return `Something went wrong on this page: ${err.message}`;
    const lead = {
      0: "Could not reach the API",
      400: "Please check the input",
      404: "Nothing found",
      503: "Not available yet",
    }[err.status] || "The server had a problem";
    return `${lead}: ${err.message}`;
  }

  /** Show a message in a status line (or an answer box: its data-base class stays) as loading, ok, empty or error. */
  function say(node, text, kind = "") {
    node.textContent = text;
    mark(node, kind);
  }

  function mark(node, kind) {
    node.className = `${node.dataset.base || "status"} ${kind}`.trim();
  }

  const number = (n) => Number(n).toLocaleString("en");
  const platformName = (p) => PLATFORMS[p] || p;
  const typeName = (t) => TYPES[t] || t;
  const starsText = (score) => `${Number(score).toFixed(1).replace(/\.0$/, "")} star${score === 1 ? "" : "s"}`;

  // why a list is kept to an audience, and what the API noted (a history of dislikes only), in plain words
  function aboutList(data) {
    const words = { kids: "kids", family: "kids and family", teens: "teen and younger", adults: "all" };
    let out = "";
    if (data.audience_from === "history") out += ` Only ${words[data.audience]} titles: everything rated so far is for that audience.`;
    if (data.audience_from === "title") out += ` Only ${words[data.audience]} titles, like this one.`;
    if (data.note) out += " Everything rated so far is a dislike, so these are popular titles unlike those.";
    return out;
  }

  function filterWords(platform, type) {
    const what = type ? (type === "movie" ? "movies" : "TV shows") : "titles";
    return platform ? `${what} on ${platformName(platform)}` : type ? what : "all titles";
  }

  // -- views: a status line and a list that show loading, empty, error and results -------------------------
  function view(statusId, listId, placeholders) {
    return { status: $(statusId), list: $(listId), placeholders, token: 0 };
  }

  /** Run ``load``; show its result with ``render`` unless a newer run of the same view started meanwhile. */
  async function run(v, loadingText, load, render, onError) {
    const token = ++v.token;
    v.list.setAttribute("aria-busy", "true");
    say(v.status, loadingText, "loading");
    if (v.placeholders) {
      v.list.replaceChildren(...Array.from({ length: v.placeholders }, () =>
        el("div", { class: "card skeleton", "aria-hidden": "true" },
          el("div", { class: "bar wide" }), el("div", { class: "bar" }), el("div", { class: "bar short" }))));
    }
    try {
      const data = await load();
      if (token !== v.token) return;
      render(data);
    } catch (err) {
      if (token !== v.token) return;
      v.list.replaceChildren();
      const handled = onError ? onError(err) : null;
      if (handled !== true) say(v.status, handled || explain(err), "error");
    } finally {
      if (token === v.token) v.list.setAttribute("aria-busy", "false");
    }
  }

  // -- cards -------------------------------------------------------------------------------------------------
  function meta(item) {
    const bits = [typeName(item.type), item.release_year, item.duration].filter((b) => b !== null && b !== undefined);
    const elsewhere = (item.available_on || []).filter((a) => a.platform !== item.platform).map((a) => platformName(a.platform));
    return el("p", { class: "meta" },
      el("span", { class: `badge p-${item.platform}`, text: platformName(item.platform) }),
      el("span", { text: bits.join(" \u00b7 ") }),
      elsewhere.length ? el("span", { class: "also-on", text: `also on ${[...new Set(elsewhere)].join(", ")}` }) : null);
  }

  function genreList(genres) {
    if (!genres || !genres.length) return null;
    return el("ul", { class: "genres", "aria-label": "Genres" }, genres.slice(0, 4).map((g) => el("li", { text: g })));
  }

  function card(item) {
    return el("article", { class: "card", "data-id": item.id },
      el("h3", { class: "card-title" },
        el("button", { type: "button", class: "open title-text", text: item.title,
                       "aria-label": `${item.title}: details and similar titles`,
                       onclick: () => openTitle(item.id, item) })),
      meta(item),
      genreList(item.genres),
      item.reason ? el("p", { class: "reason", text: item.reason }) : null);
  }

  function showCards(list, items) {
    list.replaceChildren(...items.map(card));
  }

  // -- a viewer the model knows --------------------------------------------------------------------------------
  const userView = view("user-status", "user-results", 4);
  let shownUser = null;
  let examples = null; // [{user_id, ratings}] once loaded

  async function showUser(rawId) {
    const id = rawId.trim();
    if (!/^[0-9]{1,18}$/.test(id)) {
      userView.token++;
      userView.list.replaceChildren();
      shownUser = null;
      say(userView.status, id ? `"${id}" is not a user id: a user id is a whole number, like 42.`
        : "Type a user id, or press Surprise me.", "error");
      return;
    }
    shownUser = id;
    const platform = $("user-platform").value;
    const type = $("user-type").value;
    await run(userView, `Loading recommendations for user ${id}\u2026`,
      () => api(`users/${id}/recommendations?${query({ k: K, platform, type })}`),
      (data) => {
        showCards(userView.list, data.items);
        if (data.items.length) {
          say(userView.status, `${data.items.length} picks for user ${data.user_id} among ${filterWords(platform, type)}.` +
            aboutList(data), "ok");
        } else {
          say(userView.status, `No recommendations for user ${data.user_id} among ${filterWords(platform, type)}. ` +
            "Try another platform or type.", "empty");
        }
      },
      (err) => err.status === 404
        ? `We don't know user ${id}: only people who rated titles before the last training are known. ` +
          "Pick another id, press Surprise me, or rate a few titles below as a new viewer."
        : null);
  }

  async function loadExamples() {
    const box = $("user-examples");
    try {
      const data = await api(`users/examples?${query({ n: 12 })}`);
      examples = data.users;
      $("user-example-ids").replaceChildren(...examples.map((u) =>
        el("option", { value: String(u.user_id), label: `${u.ratings} ratings` })));
      box.replaceChildren(el("span", { class: "hint", text: "Try:" }), ...examples.slice(0, 6).map((u) =>
        el("button", { type: "button", class: "chip", text: String(u.user_id),
                       "aria-label": `user ${u.user_id}, ${u.ratings} ratings`,
                       title: `${u.ratings} ratings`,
                       onclick: () => { $("user-id").value = String(u.user_id); showUser(String(u.user_id)); } })));
    } catch (err) {
      examples = null; // not cached: the next "Surprise me" asks again (a model may have appeared meanwhile)
      box.replaceChildren(el("span", { class: "hint", text: explain(err) }));
    }
  }

  async function surprise() {
    if (examples === null) await loadExamples();
    if (!examples || !examples.length) {
      say(userView.status, "There are no example users yet: the model is not trained.", "error");
      return;
    }
    const others = examples.filter((u) => String(u.user_id) !== shownUser);
    const pick = (others.length ? others : examples)[Math.floor(Math.random() * (others.length || examples.length))];
    $("user-id").value = String(pick.user_id);
    await showUser(String(pick.user_id));
  }

  // -- a new viewer: search, stars, recommendations ------------------------------------------------------------
  const ratings = new Map(); // title id -> {score, item}
  const searchView = view("search-status", "search-results", 0);
  const newView = view("new-status", "new-results", 4);
  let starGroups = 0;

  function loadRatings() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
      for (const r of Array.isArray(saved) ? saved : []) {
        if (r && r.item && typeof r.item.id === "string" && typeof r.score === "number") ratings.set(r.item.id, r);
      }
    } catch {
      /* storage unavailable or unreadable: start empty */
    }
  }

  function saveRatings() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify([...ratings.values()]));
    } catch {
      /* storage unavailable: ratings live as long as the page */
    }
  }

  /** Half-star radio buttons (0.5 to 5) for one title; arrow keys move between them like any radio group. */
  function stars(item) {
    const name = `stars-${++starGroups}`;
    const current = ratings.get(item.id);
    const group = el("fieldset", { class: "stars", "data-id": item.id },
      el("legend", { class: "visually-hidden", text: `Your rating for ${item.title}` }));
    for (let i = 1; i <= 10; i++) {
      const value = i / 2;
      const id = `${name}-${i}`;
      const input = el("input", { type: "radio", class: "visually-hidden", name, id, value: String(value),
                                  "aria-label": starsText(value) });
      input.checked = current !== undefined && current.score === value;
      input.addEventListener("change", () => rate(item, value));
      const label = el("label", { for: id, class: `half ${i % 2 ? "left" : "right"}`, "data-value": String(value) },
        el("span", { "aria-hidden": "true", text: "\u2605" }));
      label.addEventListener("mouseenter", () => paint(group, value, "hover"));
      group.append(input, label);
    }
    group.addEventListener("mouseleave", () => paint(group, 0, "hover"));
    paint(group, current ? current.score : 0);
    return group;
  }

  /** Light the stars up to ``value``: "on" shows the rating, "hover" previews one (drawn apart in app.css). */
  function paint(group, value, kind = "on") {
    for (const label of group.querySelectorAll("label")) {
      label.classList.toggle(kind, Number(label.dataset.value) <= value);
    }
    if (kind === "hover") group.classList.toggle("previewing", value > 0);
  }

  /** Every star group of one title (search results, the detail dialog) shows its current rating. */
  function syncStars(id) {
    const score = ratings.get(id)?.score || 0;
    for (const group of document.querySelectorAll("fieldset.stars")) {
      if (group.dataset.id !== id) continue;
      for (const input of group.querySelectorAll("input")) input.checked = Number(input.value) === score;
      paint(group, score);
    }
  }

  function rate(item, score) {
    const { reason, score: _s, match, ...plain } = item; // keep what a card shows, not a previous answer's fields
    ratings.set(item.id, { score, item: plain });
    changed(item.id);
  }

  function unrate(id) {
    ratings.delete(id);
    changed(id);
  }

  function changed(id) {
    saveRatings();
    syncStars(id);
    showMine();
    refreshNew();
  }

  function showMine() {
    const list = $("my-ratings");
    list.replaceChildren(...[...ratings.values()].map(({ score, item }) =>
      el("li", {},
        el("button", { type: "button", class: "link title-text", text: item.title, onclick: () => openTitle(item.id, item) }),
        el("span", { class: "mine-score", "aria-label": starsText(score), text: `\u2605 ${score}` }),
        el("button", { type: "button", class: "icon-button", "aria-label": `Remove your rating of ${item.title}`,
                       text: "\u00d7", onclick: () => unrate(item.id) }))));
    const n = ratings.size;
    say($("mine-status"), n ? `${n} title${n === 1 ? "" : "s"} rated.` : "Nothing rated yet.", n ? "" : "empty");
    $("clear-ratings").hidden = n === 0;
  }

  let newTimer = 0;
  function refreshNew() {
    clearTimeout(newTimer);
    if (ratings.size) say(newView.status, "Updating your recommendations\u2026", "loading");
    newTimer = setTimeout(showNew, 200); // arrow keys on the stars rate at every step: ask once they settle
  }

  async function showNew(note = "") {
    if (!ratings.size) {
      newView.token++;
      newView.list.replaceChildren();
      say(newView.status, "Rate a few titles to see recommendations here.", "empty");
      return;
    }
    const platform = $("new-platform").value;
    const type = $("new-type").value;
    const payload = { ratings: Object.fromEntries([...ratings].map(([id, r]) => [id, r.score])), k: K };
    if (platform) payload.platform = platform;
    if (type) payload.type = type;
    let setAside = [];
    await run(newView, "Updating your recommendations\u2026", () => postJson("recommendations", payload),
      (data) => {
        showCards(newView.list, data.items);
        const n = ratings.size;
        const from = `from your ${n} rating${n === 1 ? "" : "s"}`;
        say(newView.status, note + (data.items.length
          ? `${data.items.length} picks among ${filterWords(platform, type)}, ${from}.` + aboutList(data)
          : `Nothing to recommend among ${filterWords(platform, type)} ${from}. Try another platform or type.`),
        data.items.length ? "ok" : "empty");
      },
      (err) => {
        setAside = (err.status === 400 && Array.isArray(err.body.unknown_ids)) ? err.body.unknown_ids : [];
        if (!setAside.length) return null;
        const names = setAside.map((id) => ratings.get(id)?.item.title || id);
        for (const id of setAside) ratings.delete(id);
        saveRatings();
        setAside.forEach(syncStars);
        showMine();
        say(newView.status, `The model does not know ${names.join(", ")} yet (added after the last training): ` +
          "that rating was set aside.", "error");
        return true;
      });
    if (setAside.length && ratings.size) await showNew(`${newView.status.textContent} `);
  }

  let searchTimer = 0;
  async function search() {
    clearTimeout(searchTimer);
    const q = $("search-q").value.trim();
    if (!q) {
      searchView.token++;
      searchView.list.replaceChildren();
      say(searchView.status, "Type part of a title, e.g. \u201ccrimson\u201d.", "");
      return;
    }
    await run(searchView, `Searching for \u201c${q}\u201d\u2026`, () => api(`titles?${query({ q, limit: SEARCH_LIMIT })}`),
      (data) => {
        searchView.list.replaceChildren(...data.items.map(searchResult));
        say(searchView.status, data.total
          ? `${data.items.length < data.total ? `Top ${data.items.length} of ${number(data.total)}` : number(data.total)} ` +
            `title${data.total === 1 ? "" : "s"} matching \u201c${data.q}\u201d.`
          : `No titles match \u201c${data.q}\u201d. Try fewer letters.`, data.total ? "ok" : "empty");
      });
  }

  function searchResult(item) {
    const score = item.score === null ? "no ratings yet"
      : `\u2605 ${item.score.toFixed(1)} from ${number(item.score_count)} rating${item.score_count === 1 ? "" : "s"}`;
    return el("li", { class: "result" },
      el("div", { class: "result-text" },
        el("button", { type: "button", class: "link title-text", text: item.title, onclick: () => openTitle(item.id, item) }),
        meta(item),
        el("p", { class: "hint", text: score })),
      stars(item));
  }

  // -- one title: details and similar titles ----------------------------------------------------------------------
  const dialog = $("detail");
  const similarView = view("similar-status", "similar-results", 4);
  let detailToken = 0;

  function duration(record) {
    if (record.duration_int === null || record.duration_type === null) return null;
    const unit = record.duration_type === "season" && record.duration_int !== 1 ? "seasons" : record.duration_type;
    return `${record.duration_int} ${unit}`;
  }

  function splitList(text) {
    return text ? [...new Set(text.split(",").map((s) => s.trim()).filter(Boolean))] : [];
  }

  function detailBody(record) {
    const item = { id: record.id, title: record.title, platform: record.platform, type: record.type,
                   release_year: record.release_year, duration: duration(record), genres: splitList(record.listed_in),
                   available_on: record.available_on };
    const cast = splitList(record.cast);
    const facts = [
      ["Rating", record.score === null ? "no ratings yet"
        : `\u2605 ${record.score.toFixed(1)} from ${number(record.score_count)} rating${record.score_count === 1 ? "" : "s"}`],
      ["Director", record.director, "title-text"],
      ["Cast", cast.length ? cast.slice(0, 6).join(", ") + (cast.length > 6 ? ` and ${cast.length - 6} more` : "") : null,
        "title-text"],
      ["Country", record.country, "title-text"],
      ["Age rating", record.rating ? record.rating.toUpperCase() : null],
      ["Added", record.date_added],
    ].filter(([, value]) => value);
    return [
      meta(item),
      genreList(item.genres),
      record.description ? el("p", { class: "description", text: record.description }) : null,
      el("dl", { class: "facts" }, facts.map(([k, v, cls]) => [el("dt", { text: k }), el("dd", { class: cls, text: v })])),
      el("div", { class: "rate-here" }, el("span", { text: "Your rating:" }), stars(item)),
    ];
  }

  let openerSection = null; // the section whose button opened the title dialog (focus goes back there)

  async function openTitle(id, item) {
    const token = ++detailToken;
    $("detail-title").textContent = item ? item.title : id;
    $("detail-body").replaceChildren();
    say($("detail-status"), "Loading the title\u2026", "loading");
    if (!dialog.open) {
      openerSection = document.activeElement ? document.activeElement.closest("section") : null;
      dialog.showModal();
    }
    dialog.scrollTop = 0;
    $("detail-close").focus();
    const record = api(`titles/${encodeURIComponent(id)}`);
    run(similarView, "Finding similar titles\u2026", () => api(`titles/${encodeURIComponent(id)}/similar?${query({ k: SIMILAR_K })}`),
      (data) => {
        showCards(similarView.list, data.items);
        say(similarView.status, data.items.length ? aboutList(data).trim() : "No similar titles found.",
          data.items.length ? "" : "empty");
      });
    try {
      const data = await record;
      if (token !== detailToken) return;
      $("detail-title").textContent = data.title || data.id;
      $("detail-body").replaceChildren(...detailBody(data).filter(Boolean));
      say($("detail-status"), "", "");
    } catch (err) {
      if (token !== detailToken) return;
      say($("detail-status"), explain(err), "error");
    }
  }

  // -- the four catalog questions --------------------------------------------------------------------------------
  const ANSWERS = {
    get_max_duration(data, values) {
      const what = data.duration_type === "season" ? "TV show with the most seasons" : "longest movie";
      const where = [values.platform ? `on ${platformName(values.platform)}` : "",
                     values.year ? `released in ${values.year}` : ""].filter(Boolean).join(" ") || "in the catalog";
      const unit = data.duration_type === "season" ? (data.duration_int === 1 ? "season" : "seasons") : "min";
      return [`The ${what} ${where} is `, titleButton(data), ` (${[platformName(data.platform), data.release_year]
        .filter(Boolean).join(", ")}): ${number(data.duration_int)} ${unit}.`];
    },
    get_score_count(data) {
      const where = `on ${platformName(data.platform)} released in ${data.year}`;
      if (!data.count) return [`No movie ${where} has a mean score above ${data.scored}.`];
      return [`${number(data.count)} movie${data.count === 1 ? "" : "s"} ${where} ` +
        `${data.count === 1 ? "has" : "have"} a mean score above ${data.scored}.`];
    },
    get_count_platform(data) {
      return [`${platformName(data.platform)} has ${number(data.count)} movie${data.count === 1 ? "" : "s"} ` +
        `and ${number(data.tv_shows)} TV show${data.tv_shows === 1 ? "" : "s"}.`];
    },
    get_actor(data) {
      return [el("span", { class: "title-text", text: data.actor }),
        ` appears in the most titles on ${platformName(data.platform)} released in ${data.year}: ` +
        `${number(data.count)} title${data.count === 1 ? "" : "s"}.`];
    },
  };

  function titleButton(data) {
    return el("button", { type: "button", class: "link title-text", text: data.title,
                          onclick: () => openTitle(data.id, data) });
  }

  async function ask(form) {
    const route = form.dataset.route;
    const answer = form.querySelector(".answer");
    const values = {};
    for (const field of form.querySelectorAll("[name]")) values[field.name] = field.value.trim();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    say(answer, "Asking\u2026", "loading");
    try {
      const data = await api(`${route}?${query(values)}`);
      answer.replaceChildren(...ANSWERS[route](data, values));
      mark(answer, "ok");
    } catch (err) {
      say(answer, explain(err), "error");
    } finally {
      button.disabled = false;
      form.setAttribute("aria-busy", "false");
    }
  }

  // -- start -------------------------------------------------------------------------------------------------------
  function fillChoices() {
    for (const select of document.querySelectorAll("select.platform-choice")) {
      const any = select.dataset.any;
      select.replaceChildren(...(any ? [el("option", { value: "", text: any })] : []),
        ...Object.entries(PLATFORMS).map(([value, text]) => el("option", { value, text })));
      if (!any) select.value = "netflix";
    }
    for (const select of document.querySelectorAll("select.type-choice")) {
      select.replaceChildren(el("option", { value: "", text: "Any type" }),
        ...Object.entries(TYPES).map(([value, text]) => el("option", { value, text: `${text}s` })));
    }
  }

  async function health() {
    const line = $("health");
    try {
      const data = await api("health");
      const model = data.model && data.model.status === "ok"
        ? `recommendation model ${data.model.snapshot_version}` : "no recommendation model yet";
      line.textContent = `Catalog of ${number(data.titles)} titles (snapshot ${data.snapshot_version}); ${model}.`;
    } catch (err) {
      line.textContent = explain(err);
    }
  }

  function start() {
    fillChoices();
    $("user-form").addEventListener("submit", (e) => { e.preventDefault(); showUser($("user-id").value); });
    $("surprise").addEventListener("click", surprise);
    for (const id of ["user-platform", "user-type"]) {
      $(id).addEventListener("change", () => { if (shownUser) showUser(shownUser); });
    }
    $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
    $("search-q").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); });
    for (const id of ["new-platform", "new-type"]) $(id).addEventListener("change", refreshNew);
    $("clear-ratings").addEventListener("click", () => {
      const ids = [...ratings.keys()];
      ratings.clear();
      saveRatings();
      ids.forEach(syncStars);
      showMine();
      refreshNew();
    });
    for (const form of document.querySelectorAll("form.query")) {
      form.addEventListener("submit", (e) => { e.preventDefault(); ask(form); });
    }
    const scored = $("qs-scored");
    scored.addEventListener("input", () => { $("qs-scored-value").value = Number(scored.value).toFixed(1); });
    $("qs-scored-value").value = Number(scored.value).toFixed(1);
    $("detail-close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); }); // the backdrop
    dialog.addEventListener("close", () => {
      detailToken++; similarView.token++;
      // the dialog gives focus back to its opener; if a redraw removed that button, to the opener's section
      setTimeout(() => {
        if ((document.activeElement === document.body || !document.activeElement) && openerSection) {
          openerSection.setAttribute("tabindex", "-1");
          openerSection.focus();
        }
      }, 0);
    });
    loadRatings();
    showMine();
    say(searchView.status, "Type part of a title, e.g. \u201ccrimson\u201d.", "");
    say(userView.status, "No viewer chosen yet.", "empty");
    showNew();
    loadExamples();
    health();
  }

  start();
})();
