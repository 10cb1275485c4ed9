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
  const PREFS_KEY = "reelrec.prefs.v1";

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

  let unreachable = false; // the last call could not reach the service: the footer says so until one does again

  /** JSON from an API route (a path relative to the page); an ApiError for any answer but 2xx. */
  async function api(path, options = {}) {
    let response;
    try {
      response = await fetch(new URL(path, BASE), { headers: { Accept: "application/json" }, ...options });
    } catch (err) {
      if (!unreachable) {
        unreachable = true;
        say($("health"), "The service can't be reached right now.", "error");
      }
      throw new ApiError(0, { message: `the API could not be reached (${err.message})` });
    }
    if (unreachable) {
      unreachable = false;
      if (path !== "health") health(); // back: the footer reports what is served now
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

  // what a viewer can do about a parameter the API refused (its JSON keeps the detail: err.body)
  const FIELD_HELP = {
    year: "Type a release year as four digits, like 2019.",
    scored: "Pick a score from 0 to 5.",
    platform: "Pick a platform from the list.",
    platforms: "Pick your services from the list.",
    duration_type: "Pick minutes or seasons.",
    type: "Pick movies or TV shows.",
    audience: "Pick who is watching from the list.",
    q: "Type at most 100 characters.",
  };

  /** An error as one plain sentence (the API's JSON keeps the developer's detail). */
  function explain(err) {
    if (!(err instanceof ApiError)) return "Something went wrong on this page. Reload it and try again.";
    if (err.status === 0) return "The service can't be reached right now. Check your connection, then try again.";
    if (err.status === 400) return FIELD_HELP[err.body.parameter] || "Please check what you typed and try again.";
    if (err.status === 404) return `Nothing found: ${err.message}.`;
    if (err.status === 503) return "Not available yet: the catalog or the recommendation model is still being prepared.";
    return "Something went wrong on our side. Please try again in a moment.";
  }

  /** Errors worth a Retry button: the service was unreachable or failed, not the request. */
  const retryable = (err) => err instanceof ApiError && (err.status === 0 || err.status >= 500);

  function retryButton(again) {
    return el("button", { type: "button", class: "retry", text: "Retry", onclick: again });
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

  // -- my services and who is watching: chosen once, kept in the browser, applied to every list ----------------
  const prefs = { services: [], audience: "" }; // services: [] means every service

  function loadPrefs() {
    try {
      const saved = JSON.parse(localStorage.getItem(PREFS_KEY) || "{}");
      if (Array.isArray(saved.services)) prefs.services = saved.services.filter((p) => p in PLATFORMS);
      if (typeof saved.audience === "string" && ["", "kids", "family", "teens", "adults"].includes(saved.audience)) {
        prefs.audience = saved.audience;
      }
    } catch {
      /* storage unavailable or unreadable: every service, anyone */
    }
  }

  function savePrefs() {
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
    } catch {
      /* storage unavailable: the choice lasts as long as the page */
    }
  }

  /** The services a list is limited to (null: all of them). */
  const myServices = () => (prefs.services.length && prefs.services.length < Object.keys(PLATFORMS).length
    ? prefs.services : null);

  /** A list's filters as query values: its own platform choice wins over my services; my audience always applies. */
  function listFilters(platform) {
    const services = myServices();
    return { platform: platform || null, platforms: !platform && services ? services.join(",") : null,
             audience: prefs.audience || null };
  }

  function prefsWords() {
    const services = myServices();
    const who = { kids: "kids", family: "kids and families", teens: "teens and younger", adults: "adults" }[prefs.audience];
    const parts = [services ? `on ${services.map(platformName).join(", ")}` : "", who ? `for ${who}` : ""].filter(Boolean);
    return parts.length ? `Every list shows titles ${parts.join(" ")}.` : "Every list shows titles on all four services, for anyone.";
  }

  function showPrefs() {
    $("my-services").replaceChildren(...Object.entries(PLATFORMS).map(([value, text]) => {
      const id = `service-${value}`;
      const box = el("input", { type: "checkbox", id, value });
      box.checked = !prefs.services.length || prefs.services.includes(value);
      box.addEventListener("change", () => {
        const chosen = [...$("my-services").querySelectorAll("input:checked")].map((b) => b.value);
        if (!chosen.length) { // no service at all would leave every list empty: keep this one
          box.checked = true;
          say($("prefs-status"), "Keep at least one service.", "error");
          return;
        }
        prefs.services = chosen.length === Object.keys(PLATFORMS).length ? [] : chosen;
        prefsChanged();
      });
      return el("label", { class: "service", for: id }, box, el("span", { text }));
    }));
    $("my-audience").value = prefs.audience;
    say($("prefs-status"), prefsWords(), "");
  }

  function prefsChanged() {
    savePrefs();
    say($("prefs-status"), prefsWords(), "");
    if (shownUser) showUser(shownUser);
    refreshNew();
    if ($("search-q").value.trim()) search();
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
    const shown = [...v.list.children].filter((c) => !c.classList.contains("skeleton"));
    if (v.placeholders && !shown.length) { // nothing to keep: placeholders while it loads
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
      const handled = onError ? onError(err) : null;
      if (handled === true) return;
      // a failed service keeps what the viewer was looking at; a refused request clears the list it no longer fits
      v.list.replaceChildren(...(retryable(err) ? shown : []));
      say(v.status, handled || explain(err), "error");
      if (retryable(err)) v.status.append(" ", retryButton(() => run(v, loadingText, load, render, onError)));
    } finally {
      if (token === v.token) v.list.setAttribute("aria-busy", "false");
    }
  }

  // -- cards -------------------------------------------------------------------------------------------------
  const AUDIENCE_NAMES = { kids: "Kids", family: "Family", teens: "Teens", adults: "Adults" };

  function meta(item) {
    const bits = [typeName(item.type), item.release_year, item.duration].filter((b) => b !== null && b !== undefined);
    const elsewhere = [...new Set((item.available_on || []).filter((a) => a.platform !== item.platform)
      .map((a) => a.platform))];
    return el("div", { class: "meta" },
      el("span", { class: `badge p-${item.platform}`, text: platformName(item.platform) }),
      el("span", { text: bits.join(" \u00b7 ") }),
      item.audience ? el("span", { class: "audience", text: AUDIENCE_NAMES[item.audience] || item.audience,
                                   title: "Who it is rated for" }) : null,
      elsewhere.length ? el("p", { class: "also-on" }, el("span", { text: "Also on" }),
        elsewhere.map((p) => el("span", { class: `chip-small p-line-${p}`, text: platformName(p) }))) : null);
  }

  /** The community's mean score and how many rated it (``score``/``score_count`` of a title, or a card's
   ``community_score``/``community_count``). */
  function community(item) {
    const score = "community_score" in item ? item.community_score : item.score;
    const count = "community_count" in item ? item.community_count : item.score_count;
    if (count === undefined) return null;
    return el("p", { class: "community" }, count && score !== null
      ? `\u2605 ${Number(score).toFixed(1)} from ${number(count)} rating${count === 1 ? "" : "s"}` : "No ratings yet");
  }

  /** A poster-like placeholder drawn here, from the title and its first genre (no image is fetched). */
  function poster(item) {
    const NS = "http://www.w3.org/2000/svg";
    const genre = (item.genres && item.genres[0]) || typeName(item.type) || "";
    let hue = 0;
    for (const ch of genre) hue = (hue * 31 + ch.codePointAt(0)) % 360;
    const words = String(item.title || "").replace(/[^\p{L}\p{N} ]/gu, "").split(/\s+/).filter(Boolean);
    const initials = words.slice(0, 2).map((w) => [...w][0]).join("").toUpperCase() || "?";
    const svg = document.createElementNS(NS, "svg");
    for (const [k, v] of Object.entries({ viewBox: "0 0 60 84", class: "poster", "aria-hidden": "true", focusable: "false" })) {
      svg.setAttribute(k, v);
    }
    const shape = (tag, attrs, text) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text) node.textContent = text;
      svg.append(node);
    };
    shape("rect", { width: 60, height: 84, rx: 6, fill: `hsl(${hue} 42% 34%)` });
    shape("circle", { cx: 48, cy: 14, r: 22, fill: `hsl(${(hue + 40) % 360} 50% 46%)`, opacity: 0.55 });
    shape("text", { x: 30, y: 50, "text-anchor": "middle", "font-size": 22, "font-weight": 700, fill: "#fff" }, initials);
    shape("text", { x: 30, y: 76, "text-anchor": "middle", "font-size": 7, fill: "#fff", opacity: 0.9 },
      genre.length > 14 ? `${genre.slice(0, 13)}\u2026` : genre);
    return svg;
  }

  function genreList(genres) {
    if (!genres || !genres.length) return null;
    return el("ul", { class: "genres", "aria-label": "Genres" }, genres.slice(0, 4).map((g) => el("li", { text: g })));
  }

  /** A title's card; ``discover``: the pick nobody has rated yet, shown apart from the ranked ones. */
  function card(item, discover = false) {
    return el("article", { class: discover ? "card discover" : "card", "data-id": item.id },
      poster(item),
      el("div", { class: "card-body" },
        discover ? el("p", { class: "discover-label", text: "New to discover: nobody has rated it yet" }) : null,
        el("h3", { class: "card-title" },
          el("button", { type: "button", class: "open title-text", text: item.title,
                         "aria-label": `${item.title}: details and similar titles`,
                         onclick: () => openTitle(item.id, item) })),
        meta(item),
        community(item),
        genreList(item.genres),
        item.reason ? el("p", { class: "reason", text: item.reason }) : null));
  }

  function showCards(list, items, discover = []) {
    list.replaceChildren(...items.map((item) => card(item)), ...(discover || []).map((item) => card(item, true)));
  }

  // -- a viewer the model knows --------------------------------------------------------------------------------
  const userView = view("user-status", "user-results", 4);
  let shownUser = null;
  let examples = null; // [{user_id, ratings}] once loaded

  async function showUser(rawId) {
    const id = rawId.trim();
    const field = $("user-id");
    if (!/^[0-9]{1,18}$/.test(id)) {
      userView.token++;
      userView.list.replaceChildren();
      shownUser = null;
      field.setAttribute("aria-invalid", "true");
      showBasedOn(null);
      say(userView.status, id ? `"${id}" is not a user id: a user id is a whole number, like 42.`
        : "Type a user id, or press Surprise me.", "error");
      return;
    }
    field.removeAttribute("aria-invalid");
    shownUser = id;
    const platform = $("user-platform").value;
    const type = $("user-type").value;
    await run(userView, `Loading recommendations for user ${id}\u2026`,
      () => api(`users/${id}/recommendations?${query({ k: K, type, ...listFilters(platform) })}`),
      (data) => {
        showCards(userView.list, data.items, data.discover);
        showBasedOn(data.based_on);
        if (data.items.length) {
          say(userView.status, `${data.items.length} picks for user ${data.user_id} among ${filterWords(platform, type)}.` +
            aboutList(data), "ok");
        } else {
          say(userView.status, `No recommendations for user ${data.user_id} among ${filterWords(platform, type)}. ` +
            "Try another platform or type.", "empty");
        }
      },
      (err) => {
        if (err.status !== 404) return null;
        showBasedOn(null);
        return `We don't know user ${id}: only people who rated titles before the last training are known. ` +
          "Pick another id, press Surprise me, or rate a few titles below as a new viewer.";
      });
  }

  /** A known viewer's panel: what they rated that the picks are based on. */
  function showBasedOn(based) {
    const box = $("user-based-on");
    if (!based) {
      box.hidden = true;
      return;
    }
    box.replaceChildren(
      el("h3", { text: "Based on what they rated" }),
      el("p", { class: "hint", text: `${number(based.ratings)} title${based.ratings === 1 ? "" : "s"} rated, ` +
        `${number(based.liked)} of them 4 stars or more. Their best-rated:` }),
      el("ul", { class: "based-on" }, based.top.map((item) => el("li", {},
        el("button", { type: "button", class: "link title-text", text: item.title, onclick: () => openTitle(item.id, item) }),
        el("span", { class: "mine-score" }, el("span", { "aria-hidden": "true", text: "\u2605 " }), String(item.your_score),
          el("span", { class: "visually-hidden", text: item.your_score === 1 ? " star" : " stars" }))))));
    box.hidden = false;
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
      input.addEventListener("change", () => { paint(group, 0, "hover"); rate(item, value); });
      const label = el("label", { for: id, class: `half ${i % 2 ? "left" : "right"}`, "data-value": String(value) },
        el("span", { "aria-hidden": "true", text: "\u2605" }));
      // a preview follows a mouse only: a tap sends pointer events too, and its preview would hide the rating
      label.addEventListener("pointerenter", (e) => { if (e.pointerType === "mouse") paint(group, value, "hover"); });
      group.append(input, label);
    }
    group.addEventListener("pointerleave", () => paint(group, 0, "hover"));
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
    lastRated = { title: item.title, score };
    changed(item.id);
  }

  // -- after a rating, say what changed where the viewer is: a bar that follows them until the picks are in view --
  let lastRated = null;
  let picksInView = false;

  function tellPicks(count) {
    const bar = $("rated-bar");
    if (!lastRated) return;
    $("rated-text").textContent = `You rated ${lastRated.title} ${starsText(lastRated.score)}: ` +
      (count ? `your ${count} picks are updated.` : "nothing to recommend with these filters.");
    lastRated = null;
    showBar(!picksInView);
  }

  let barTimer = 0;
  /** Show or hide the bar; it goes by itself after a while (taps pass through it to the page, but its buttons). */
  function showBar(visible) {
    const bar = $("rated-bar");
    clearTimeout(barTimer);
    bar.hidden = !visible;
    if (visible) barTimer = setTimeout(() => showBar(false), 15000);
  }

  function watchPicks() {
    const bar = $("rated-bar");
    $("rated-see").addEventListener("click", () => {
      showBar(false);
      $("new-recs-heading").scrollIntoView({ block: "start", behavior: "instant" });
      const first = newView.list.querySelector("button.open");
      (first || $("new-recs-heading")).focus({ preventScroll: true });
    });
    $("rated-close").addEventListener("click", () => showBar(false));
    // a tap or click elsewhere (not on a star: that is what the bar reports) means the viewer moved on
    document.addEventListener("pointerdown", (e) => {
      if (!bar.hidden && !bar.contains(e.target) && !e.target.closest("fieldset.stars")) showBar(false);
    }, true);
    if ("IntersectionObserver" in window) {
      new IntersectionObserver((entries) => {
        picksInView = entries.some((e) => e.isIntersecting);
        if (picksInView) showBar(false);
      }).observe($("new-results"));
    }
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
        el("span", { class: "mine-score" }, el("span", { "aria-hidden": "true", text: "\u2605 " }), String(score),
          el("span", { class: "visually-hidden", text: score === 1 ? " star" : " stars" })),
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
    const filters = listFilters(platform);
    if (filters.platform) payload.platform = filters.platform;
    if (filters.platforms) payload.platforms = filters.platforms.split(",");
    if (filters.audience) payload.audience = filters.audience;
    if (type) payload.type = type;
    let setAside = [];
    await run(newView, "Updating your recommendations\u2026", () => postJson("recommendations", payload),
      (data) => {
        showCards(newView.list, data.items, data.discover);
        tellPicks(data.items.length);
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
  let searchMore = null; // {q, offset, total} while a search has more results than shown

  function moreButton() {
    if (!searchMore || searchMore.offset >= searchMore.total) return null;
    return el("li", { class: "more" }, el("button", { type: "button", id: "search-more",
      text: `More (${number(searchMore.total - searchMore.offset)} left)`, onclick: moreResults }));
  }

  async function moreResults() {
    const { q, offset } = searchMore;
    const button = $("search-more");
    button.disabled = true;
    try {
      const data = await api(`titles?${query({ q, limit: SEARCH_LIMIT, offset, ...listFilters(null) })}`);
      if (!searchMore || searchMore.q !== q) return;
      searchMore.offset = offset + data.items.length;
      button.closest("li").replaceWith(...data.items.map(searchResult), ...[moreButton()].filter(Boolean));
      say(searchView.status, `${number(searchMore.offset)} of ${number(data.total)} titles matching \u201c${data.q}\u201d.`, "ok");
      const first = searchView.list.children[offset];
      if (first) first.querySelector("button.link")?.focus();
    } catch (err) {
      button.disabled = false;
      say(searchView.status, explain(err), "error");
    }
  }

  async function search() {
    clearTimeout(searchTimer);
    const q = $("search-q").value.trim();
    if (!q) {
      searchView.token++;
      searchView.list.replaceChildren();
      say(searchView.status, "Type part of a title, e.g. \u201ccrimson\u201d.", "");
      return;
    }
    await run(searchView, `Searching for \u201c${q}\u201d\u2026`, () => api(`titles?${query({ q, limit: SEARCH_LIMIT, ...listFilters(null) })}`),
      (data) => {
        searchMore = { q, offset: data.items.length, total: data.total };
        searchView.list.replaceChildren(...data.items.map(searchResult), ...[moreButton()].filter(Boolean));
        say(searchView.status, data.total
          ? `${data.items.length < data.total ? `Top ${data.items.length} of ${number(data.total)}` : number(data.total)} ` +
            `title${data.total === 1 ? "" : "s"} matching \u201c${data.q}\u201d.`
          : `No titles match \u201c${data.q}\u201d. Try fewer letters.`, data.total ? "ok" : "empty");
      });
  }

  function searchResult(item) {
    return el("li", { class: "result" },
      el("div", { class: "result-text" },
        el("button", { type: "button", class: "link title-text", text: item.title, onclick: () => openTitle(item.id, item) }),
        meta(item),
        community(item)),
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
    run(similarView, "Finding similar titles\u2026", () => api(`titles/${encodeURIComponent(id)}/similar?${query({ k: SIMILAR_K, ...listFilters(null) })}`),
      (data) => {
        showCards(similarView.list, data.items, data.discover);
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

  /** Mark one field of a form invalid with a plain sentence beside it (none: clear every field's mark). */
  function fieldError(form, name, text) {
    for (const field of form.querySelectorAll("[name]")) {
      const note = $(`${field.id}-error`);
      const bad = field.name === name;
      if (bad) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      if (note) {
        note.textContent = bad ? text : "";
        note.hidden = !bad;
      }
    }
  }

  async function ask(form) {
    const route = form.dataset.route;
    const answer = form.querySelector(".answer");
    const values = {};
    for (const field of form.querySelectorAll("[name]")) values[field.name] = field.value.trim();
    fieldError(form, null, "");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    say(answer, "Asking\u2026", "loading");
    try {
      const data = await api(`${route}?${query(values)}`);
      answer.replaceChildren(...ANSWERS[route](data, values));
      mark(answer, "ok");
    } catch (err) {
      const field = err.status === 400 && form.querySelector(`[name="${err.body.parameter}"]`);
      if (field) {
        fieldError(form, err.body.parameter, explain(err));
        say(answer, "Please fix the field marked above.", "error");
        field.focus();
      } else {
        say(answer, explain(err), "error");
        if (retryable(err)) answer.append(" ", retryButton(() => ask(form)));
      }
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

  /** The date a version id starts with (20261206T223002Z-...), as people write it; null when it has none. */
  function versionDate(version) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})/.exec(String(version || ""));
    if (!m) return null;
    const when = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
    return when.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }

  async function health() {
    const line = $("health");
    try {
      const data = await api("health");
      const trained = data.model && data.model.status === "ok" ? versionDate(data.model.snapshot_version) : null;
      const model = data.model && data.model.status === "ok"
        ? `recommendations trained ${trained || "recently"}` : "no recommendations yet";
      const when = versionDate(data.snapshot_version);
      say(line, `Catalog of ${number(data.titles)} titles${when ? `, data of ${when}` : ""}; ${model}.`, "");
    } catch (err) {
      say(line, err.status === 0 ? "The service can't be reached right now." : explain(err), "error");
      if (retryable(err)) line.append(" ", retryButton(health));
    }
  }

  /** The catalog questions start on values that give an answer on this catalog (``GET /questions``); a platform a
   question cannot answer for is offered disabled, with the reason. */
  async function questionDefaults() {
    let data;
    try {
      data = await api("questions");
    } catch {
      return; // the forms keep their built-in values
    }
    const set = (id, value) => { if (value !== undefined && value !== null) $(id).value = String(value); };
    if (data.get_score_count) {
      set("qs-platform", data.get_score_count.platform);
      set("qs-year", data.get_score_count.year);
      set("qs-scored", data.get_score_count.scored);
      $("qs-scored-value").value = Number($("qs-scored").value).toFixed(1);
    }
    if (data.get_actor) {
      set("qa-platform", data.get_actor.platform);
      set("qa-year", data.get_actor.year);
    }
    for (const [platform, reason] of Object.entries(data.get_actor_unavailable || {})) {
      const option = $("qa-platform").querySelector(`option[value="${platform}"]`);
      if (option) {
        option.disabled = true;
        option.textContent = `${platformName(platform)} (${reason.replace(/^the .* catalog /, "")})`;
      }
    }
  }

  function start() {
    fillChoices();
    loadPrefs();
    showPrefs();
    watchPicks();
    $("my-audience").addEventListener("change", () => { prefs.audience = $("my-audience").value; prefsChanged(); });
    $("user-form").addEventListener("submit", (e) => { e.preventDefault(); showUser($("user-id").value); });
    $("surprise").addEventListener("click", surprise);
    for (const id of ["user-platform", "user-type"]) {
      $(id).addEventListener("change", () => { if (shownUser) showUser(shownUser); });
    }
    $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
    $("search-q").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); });
    for (const id of ["new-platform", "new-type"]) $(id).addEventListener("change", refreshNew);
    $("clear-ratings").addEventListener("click", () => {
      const before = [...ratings.entries()];
      ratings.clear();
      saveRatings();
      before.forEach(([id]) => syncStars(id));
      showMine();
      refreshNew();
      const undo = el("button", { type: "button", class: "retry", text: "Undo", onclick: () => {
        for (const [id, r] of before) ratings.set(id, r);
        saveRatings();
        before.forEach(([id]) => syncStars(id));
        showMine();
        refreshNew();
        $("clear-ratings").focus();
      } });
      say($("mine-status"), `Cleared ${before.length} rating${before.length === 1 ? "" : "s"}.`, "");
      $("mine-status").append(" ", undo);
      undo.focus();
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
    questionDefaults();
  }

  start();
})();
