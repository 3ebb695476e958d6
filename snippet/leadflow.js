/*! Leadflow tracking snippet: Segment-spec calls to <api>/v1/batch. See snippet/README.md.
 * Hand-written, no dependencies, no build step, ES2017: keep it small and readable. */
(() => {
  'use strict';
  const w = window, d = document, nav = navigator;
  const queued = w.leadflow;
  if (queued && queued.loaded) return; // the tag is on the page twice

  const warn = (msg) => console.warn('leadflow: ' + msg);
  const tag = d.currentScript || d.querySelector('script[data-site-key]');
  const key = tag && tag.dataset.siteKey;
  if (!key) return warn('the script tag needs data-site-key');
  // The API is wherever this file came from, so one tag works for any
  // deployment (or stage path); data-api overrides for self-hosted copies.
  const endpoint = (tag.dataset.api || tag.src.replace(/\/v1\/sdk\.js([?#].*)?$/, '')).replace(/\/+$/, '') + '/v1/batch';
  const requireConsent = tag.dataset.requireConsent === 'true';

  const VERSION = '1.0.0', BATCH = 20, WAIT = 2000, MAX_QUEUED = 1000, YEAR = 31536000;
  const AID = 'lf_aid', UID = 'lf_uid', OPTOUT = 'lf_optout';

  // --- storage: a first-party cookie, mirrored in localStorage because
  // browsers expire or clear script-set cookies sooner than they say.
  const cookie = (name) => {
    const m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : '';
  };
  const setCookie = (name, value, maxAge) => {
    d.cookie = name + '=' + encodeURIComponent(value) + '; Max-Age=' + maxAge + '; Path=/; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  };
  // localStorage throws in some private modes and sandboxed frames; the cookie still works there.
  const stored = (name) => { try { return localStorage.getItem(name) || ''; } catch (e) { return ''; } };
  const store = (name, value) => {
    try { value ? localStorage.setItem(name, value) : localStorage.removeItem(name); } catch (e) { /* see stored */ }
  };
  // randomUUID exists only in secure contexts; plain-http pages get the same v4 shape from getRandomValues.
  const uuid = () => crypto.randomUUID ? crypto.randomUUID() : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g,
    (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));

  let anonymousId = cookie(AID) || stored(AID);
  // With data-require-consent an id is only ever stored after consent(true)
  // (and removed by consent(false)), so a stored id is the record of consent
  // and nothing else needs keeping. Without it, consent(false) leaves an
  // opt-out cookie so the refusal outlives the page.
  let allowed = requireConsent ? !!anonymousId : !cookie(OPTOUT);
  let declined = !allowed && !requireConsent; // refused: calls are dropped, not held
  let userId = allowed ? stored(UID) : '';
  anonymousId = anonymousId || uuid();

  const persist = () => {
    if (!allowed) return;
    setCookie(AID, anonymousId, YEAR); // rewritten on every load: a year from the last visit
    store(AID, anonymousId);
    store(UID, userId);
  };
  const forget = () => {
    setCookie(AID, '', 0);
    store(AID, '');
    store(UID, '');
  };

  // --- messages
  const UTM = { source: 'utm_source', medium: 'utm_medium', name: 'utm_campaign', term: 'utm_term', content: 'utm_content' };
  const campaign = () => {
    const q = new URLSearchParams(location.search), c = {};
    Object.keys(UTM).forEach((k) => { if (q.get(UTM[k])) c[k] = q.get(UTM[k]); });
    return Object.keys(c).length ? c : undefined;
  };
  const pageInfo = () => ({
    url: location.href.split('#')[0], title: d.title, referrer: d.referrer, path: location.pathname, search: location.search,
  });
  let timezone;
  try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* left out */ }
  const message = (type, fields) => Object.assign({
    type, messageId: uuid(), anonymousId, timestamp: new Date().toISOString(),
    context: {
      page: pageInfo(), campaign: campaign(), userAgent: nav.userAgent, locale: nav.language, timezone,
      library: { name: 'leadflow.js', version: VERSION },
    },
  }, userId ? { userId } : null, fields);

  // --- sending: batches of up to BATCH, at most WAIT ms after the first
  // call; a beacon when the page goes away, since only it (and a keepalive
  // fetch) outlives the page. text/plain skips the CORS preflight.
  let queue = [], timer = 0, failures = 0;
  const schedule = (ms) => { if (!timer) timer = setTimeout(() => { timer = 0; flush(); }, ms); };
  const enqueue = (m) => {
    if (declined) return;
    queue.push(m);
    queue.splice(0, queue.length - MAX_QUEUED); // a long outage keeps the newest
    if (queue.length >= BATCH && !failures) flush();
    else schedule(WAIT);
  };
  const flush = (unloading) => {
    if (!allowed) return; // held until consent(true)
    clearTimeout(timer);
    timer = 0;
    while (queue.length) send(queue.splice(0, BATCH), unloading);
  };
  const retry = (batch) => {
    if (!allowed) return;
    // The same messages, ids included: whatever did arrive is de-duplicated by the server.
    queue = batch.concat(queue);
    queue.splice(0, queue.length - MAX_QUEUED);
    failures++;
    clearTimeout(timer);
    timer = 0;
    schedule(Math.min(30000, 1000 * 2 ** failures) * (0.5 + Math.random() / 2));
  };
  const send = (batch, unloading) => {
    const body = JSON.stringify({ batch, writeKey: key, sentAt: new Date().toISOString() });
    if (unloading && nav.sendBeacon && nav.sendBeacon(endpoint, body)) return;
    fetch(endpoint, {
      method: 'POST', body, credentials: 'omit', headers: { 'Content-Type': 'text/plain' },
      keepalive: body.length < 60000, // browsers refuse keepalive bodies over 64 KB
    }).then((res) => {
      if (res.ok) { failures = 0; return; }
      if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(res.status);
      // Refused for good (key, origin, or a bad message). One bad message
      // rejects its whole batch, so the others are sent again one by one.
      if (batch.length > 1 && (res.status === 400 || res.status === 413)) batch.forEach((m) => send([m]));
    }).catch(() => retry(batch));
  };

  // --- forms posting to /v1/forms/ carry the visitor's id, so the fill
  // joins the visitor's earlier events.
  const tagForms = () => {
    d.querySelectorAll('form').forEach((form) => {
      if (!/\/v1\/forms\//.test(form.getAttribute('action') || '')) return;
      let input = form.querySelector('input[name="anonymous_id"]');
      if (!allowed) {
        if (input && 'leadflow' in input.dataset) input.remove();
        return;
      }
      if (!input) {
        input = d.createElement('input');
        input.type = 'hidden';
        input.name = 'anonymous_id';
        input.dataset.leadflow = '';
        form.appendChild(input);
      }
      input.value = anonymousId;
    });
  };

  // --- the public API
  const leadflow = {
    loaded: true,
    page(name, props) {
      if (name && typeof name === 'object') [name, props] = [undefined, name];
      enqueue(message('page', { name, properties: Object.assign(pageInfo(), props) }));
    },
    track(event, props) {
      if (!event || typeof event !== 'string') return warn('track needs an event name');
      enqueue(message('track', { event, properties: props || {} }));
    },
    // identify(email, traits, userId): the user id may also come as traits.userId.
    identify(email, traits, id) {
      traits = Object.assign({}, traits);
      if (email) traits.email = email;
      id = id || traits.userId;
      delete traits.userId;
      if (id) userId = String(id);
      persist();
      enqueue(message('identify', { traits }));
    },
    consent(granted) {
      if (granted) {
        if (allowed) return;
        allowed = true;
        setCookie(OPTOUT, '', 0);
        persist();
        tagForms();
        if (declined) { declined = false; leadflow.page(); } // this page's view was dropped on refusal
        flush();
        return;
      }
      allowed = false;
      declined = true;
      queue = [];
      clearTimeout(timer);
      timer = 0;
      forget();
      userId = '';
      anonymousId = uuid();
      if (!requireConsent) setCookie(OPTOUT, '1', YEAR);
      tagForms();
    },
    // reset forgets who this is (a logout on a shared device): a new anonymous id, no user id.
    reset() {
      userId = '';
      anonymousId = uuid();
      persist();
      tagForms();
    },
    anonymousId: () => (allowed ? anonymousId : null),
    flush: () => flush(),
    push: (call) => run(call),
  };
  const run = ([method, ...args]) => {
    if (typeof leadflow[method] === 'function') leadflow[method](...args);
    else warn('unknown call ' + method);
  };

  const calls = Array.isArray(queued) ? queued.slice() : [];
  w.leadflow = leadflow;
  persist();
  tagForms();
  new MutationObserver((records) => records.some((r) => r.addedNodes.length) && tagForms())
    .observe(d.documentElement, { childList: true, subtree: true });
  // A page that queued its own page() call (to name it) gets that one instead.
  if (!calls.some((c) => c[0] === 'page')) leadflow.page();
  calls.forEach(run);
  addEventListener('pagehide', () => flush(true));
  d.addEventListener('visibilitychange', () => d.visibilityState === 'hidden' && flush(true));
})();
