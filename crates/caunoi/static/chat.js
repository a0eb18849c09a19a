// caunoi web chat: sends the citizen's messages (text, button taps, photo/video, location) and
// shows the conversation from the live stream (SSE). Texts come from data-t-* attributes on
// <body>, so the page stays bilingual without inline script. Everything is rendered with
// textContent: message text is never parsed as HTML.
(() => {
  'use strict';
  const body = document.body;
  const unit = body.dataset.unit;
  const embed = body.dataset.embed === '1';
  const lang = document.documentElement.lang === 'en' ? 'en' : 'vi';
  const base = `/u/${encodeURIComponent(unit)}/chat`;
  const storeKey = `caunoi-chat:${unit}`;
  const tr = (key) => body.dataset[`t${key}`] || '';
  const $ = (sel) => document.querySelector(sel);

  const log = $('#log');
  const intro = $('#intro');
  const form = $('#composer');
  const text = $('#text');
  const sendBtn = $('#send');
  const fileInput = $('#file');
  const notice = $('#notice');
  const typing = $('#typing');

  // In the widget's frame the cookie may not reach us (third-party context): the token is kept
  // in this frame's storage and sent as a header (or `t` where headers are impossible).
  let token = null;
  if (embed) {
    try { token = localStorage.getItem(storeKey); } catch { token = null; }
  }
  let hasSession = body.dataset.session === '1' || !!token;
  let source = null;
  let renewals = 0;
  let typingTimer = null;
  let lastOutId = 0;
  const seen = new Set();

  function el(tag, cls, txt) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (txt !== undefined) e.textContent = txt;
    return e;
  }

  function headers(json) {
    const h = {};
    if (json) h['Content-Type'] = 'application/json';
    if (token) h['X-Chat-Token'] = token;
    return h;
  }

  function withToken(url) {
    return token ? `${url}${url.includes('?') ? '&' : '?'}t=${encodeURIComponent(token)}` : url;
  }

  function showNotice(msg, info) {
    notice.textContent = msg;
    notice.classList.toggle('info', !!info);
    notice.hidden = false;
  }

  function hideNotice() {
    notice.hidden = true;
  }

  async function errorText(resp) {
    try {
      const j = await resp.json();
      return (lang === 'en' ? j.message_en : j.message) || tr('Failed');
    } catch {
      return tr('Failed');
    }
  }

  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) {
      typingTimer = setTimeout(() => { typing.hidden = true; }, 15000);
      scrollDown();
    }
  }

  function scrollDown() {
    requestAnimationFrame(() => { log.scrollTop = log.scrollHeight; });
  }

  function timeOf(ms) {
    try {
      return new Date(ms).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'vi-VN', { hour: '2-digit', minute: '2-digit' });
    } catch {
      return '';
    }
  }

  async function ensureSession() {
    if (hasSession) return true;
    const r = await fetch(`${base}/session`, { method: 'POST', headers: headers(false), credentials: 'same-origin' });
    if (!r.ok) {
      showNotice(await errorText(r));
      return false;
    }
    const j = await r.json();
    token = j.token;
    if (embed) {
      try { localStorage.setItem(storeKey, token); } catch { /* private mode: this visit only */ }
    }
    hasSession = true;
    return true;
  }

  // Icons drawn as SVG, so they look the same on phones without an emoji font.
  const ICONS = {
    up: 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z',
    phone: 'M6.62 10.79c1.44 2.83 3.76 5.14 6.59 6.59l2.2-2.2c.27-.27.67-.36 1.02-.24 1.12.37 2.33.57 3.57.57.55 0 1 .45 1 1V20c0 .55-.45 1-1 1-9.39 0-17-7.61-17-17 0-.55.45-1 1-1h3.5c.55 0 1 .45 1 1 0 1.25.2 2.45.57 3.57.11.35.03.74-.25 1.02l-2.2 2.2z',
  };

  function icon(name, flip) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', 'icon');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    path.setAttribute('fill', 'currentColor');
    if (flip) path.setAttribute('transform', 'rotate(180 12 12)');
    svg.append(path);
    return svg;
  }

  function feedbackBlock(m, thumbs) {
    const box = el('div', 'feedback');
    const buttons = [];
    for (const [payload, emoji, label, flip] of thumbs) {
      const b = el('button', 'thumb');
      b.type = 'button';
      b.append(icon('up', flip), label);
      b.addEventListener('click', async () => {
        buttons.forEach((x) => { x.disabled = true; });
        b.classList.add('on');
        const ok = await post({ payload, label: `${emoji} ${label}` });
        if (!ok) buttons.forEach((x) => { x.disabled = false; b.classList.remove('on'); });
      });
      buttons.push(b);
      box.append(b);
    }
    return box;
  }

  function render(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    if (intro) intro.hidden = true;
    const out = m.dir !== 'in';
    const wrap = el('div', `msg ${out ? 'out' : 'in'}${m.author === 'officer' ? ' officer' : ''}${m.media ? ' media' : ''}`);
    wrap.dataset.id = String(m.id);
    const bubble = el('div', 'bubble');
    if (m.media) {
      if (m.kind === 'file') {
        // A document an officer sent: a download link named after the file.
        const a = el('a', 'file', `📄 ${m.text || 'file'}`);
        a.href = withToken(m.media);
        a.rel = 'noopener';
        a.setAttribute('download', m.text || '');
        bubble.append(a);
      } else if (m.kind === 'video') {
        const v = el('video');
        v.controls = true;
        v.preload = 'metadata';
        v.src = withToken(m.media);
        bubble.append(v);
      } else {
        const img = el('img');
        img.alt = tr('Photo');
        img.loading = 'lazy';
        img.src = withToken(m.media);
        img.addEventListener('load', scrollDown);
        bubble.append(img);
        if (m.text) bubble.append(el('div', 'caption', m.text));
      }
    } else if (m.kind === 'location') {
      bubble.append(`📍 ${tr('Location')}`);
      const [lat, lon] = String(m.text).split(',');
      if (lat && lon) {
        const a = el('a', '', tr('Map'));
        a.href = `https://www.openstreetmap.org/?mlat=${encodeURIComponent(lat)}&mlon=${encodeURIComponent(lon)}#map=17/${encodeURIComponent(lat)}/${encodeURIComponent(lon)}`;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        bubble.append(' · ', a);
      }
    } else {
      bubble.textContent = m.text;
    }
    wrap.append(bubble);

    const buttons = Array.isArray(m.buttons) ? m.buttons : [];
    const choices = buttons.filter((b) => !String(b.payload).startsWith('fb:'));
    if (out && choices.length) {
      const actions = el('div', 'actions');
      for (const b of choices) {
        const payload = String(b.payload);
        if (payload.startsWith('tel:')) {
          const a = el('a', 'choice call');
          a.append(icon('phone'), b.label);
          a.href = `tel:${payload.slice(4).replace(/[^0-9+]/g, '')}`;
          actions.append(a);
        } else {
          const btn = el('button', 'choice', b.label);
          btn.type = 'button';
          btn.addEventListener('click', async () => {
            // A choice is made once: the message's buttons are disabled, the chosen one marked.
            const group = [...actions.querySelectorAll('button.choice')];
            group.forEach((x) => { x.disabled = true; });
            btn.classList.add('on');
            if (!(await post({ payload, label: b.label }))) {
              group.forEach((x) => { x.disabled = false; });
              btn.classList.remove('on');
            }
          });
          actions.append(btn);
        }
      }
      wrap.append(actions);
    }
    const fb = buttons.filter((b) => String(b.payload).startsWith('fb:'));
    const entry = m.feedback_for;
    if (out && (fb.length || entry)) {
      const yes = fb.find((b) => String(b.payload).startsWith('fb:yes:'));
      const no = fb.find((b) => String(b.payload).startsWith('fb:no:'));
      wrap.append(feedbackBlock(m, [
        [yes ? yes.payload : `fb:yes:${entry}`, '👍', tr('Helpful'), false],
        [no ? no.payload : `fb:no:${entry}`, '👎', tr('Unhelpful'), true],
      ]));
    }
    const who = out ? (m.author === 'officer' ? tr('Officer') : tr('Bot')) : '';
    wrap.append(el('span', 'meta', [who, timeOf(m.at)].filter(Boolean).join(' · ')));
    // Keep the order of ids even when our own message comes back after a reply.
    const later = [...log.querySelectorAll('.msg')].find((x) => Number(x.dataset.id) > m.id);
    if (!later && out && choices.some((b) => !String(b.payload).startsWith('tel:'))) {
      // A newer set of choices: the older ones no longer mean anything.
      log.querySelectorAll('.actions button.choice').forEach((x) => { x.disabled = true; });
    }
    if (later) log.insertBefore(wrap, later); else log.append(wrap);
    if (out) {
      lastOutId = Math.max(lastOutId, m.id);
      setTyping(false);
    }
    scrollDown();
  }

  // The header says where the conversation stands: the bot, waiting for an officer, an
  // officer helping, or ended.
  const stateLine = $('#chat-state');
  const stateText = { new: 'StateBot', bot: 'StateBot', waiting_human: 'StateWaiting', assigned: 'StateAssigned', closed: 'StateClosed' };
  function showState(status) {
    const key = stateText[status];
    if (!stateLine || !key) return;
    stateLine.dataset.state = status;
    stateLine.textContent = tr(key);
  }

  function connect() {
    if (source) source.close();
    source = new EventSource(withToken(`${base}/events`));
    source.onmessage = (e) => {
      try { render(JSON.parse(e.data)); } catch { /* a malformed event is skipped */ }
    };
    source.addEventListener('ready', () => { if (notice.classList.contains('info')) hideNotice(); });
    source.addEventListener('state', (e) => {
      try { showState(JSON.parse(e.data).status); } catch { /* a malformed event is skipped */ }
    });
    source.onerror = async () => {
      if (source.readyState !== EventSource.CLOSED) {
        showNotice(tr('Offline'), true);
        return;
      }
      // Refused (expired or unknown session): start a new one once, else ask for a reload.
      source = null;
      if (renewals++ < 1) {
        token = null;
        hasSession = false;
        if (embed) { try { localStorage.removeItem(storeKey); } catch { /* ignore */ } }
        if (await ensureSession()) connect();
      }
    };
  }

  async function post(payload) {
    if (!(await ensureSession())) return false;
    if (!source) connect();
    sendBtn.disabled = true;
    try {
      const r = await fetch(`${base}/messages`, {
        method: 'POST', headers: headers(true), body: JSON.stringify(payload), credentials: 'same-origin',
      });
      if (!r.ok) {
        showNotice(await errorText(r));
        return false;
      }
      hideNotice();
      const j = await r.json();
      if (j.id) {
        const kind = payload.lat !== undefined ? 'location' : 'text';
        const shown = payload.lat !== undefined ? `${payload.lat},${payload.lon}` : (payload.text || payload.label || '');
        render({ id: j.id, dir: 'in', author: 'citizen', kind, text: shown, at: Date.now(), buttons: [], media: null });
      }
      // The reply may already have arrived on the stream before this response.
      if (j.status === 'bot' && lastOutId < j.id) setTyping(true);
      return true;
    } catch {
      showNotice(tr('Failed'));
      return false;
    } finally {
      sendBtn.disabled = false;
    }
  }

  function grow() {
    text.style.height = 'auto';
    text.style.height = `${Math.min(text.scrollHeight, 128)}px`;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) { text.focus(); return; }
    if (await post({ text: value })) {
      text.value = '';
      grow();
    }
    text.focus();
  });

  text.addEventListener('input', grow);
  text.addEventListener('keydown', (e) => {
    // Enter sends (the phone's key says "Gửi"); Shift+Enter starts a new line. Not while an
    // input method (Telex, VNI) is composing a letter.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  for (const chip of document.querySelectorAll('.chip[data-say]')) {
    chip.addEventListener('click', () => post({ text: chip.dataset.say }));
  }

  $('#attach').addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (!file || !(await ensureSession())) return;
    if (!source) connect();
    showNotice(tr('Uploading'), true);
    const data = new FormData();
    data.append('file', file);
    try {
      const r = await fetch(`${base}/upload`, { method: 'POST', headers: headers(false), body: data, credentials: 'same-origin' });
      if (!r.ok) { showNotice(await errorText(r)); return; }
      hideNotice();
    } catch {
      showNotice(tr('Failed'));
    }
  });

  // Permission is asked only when the citizen taps the button.
  $('#locate').addEventListener('click', () => {
    if (!navigator.geolocation) { showNotice(tr('GeoDenied')); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => post({ lat: pos.coords.latitude, lon: pos.coords.longitude }),
      () => showNotice(tr('GeoDenied')),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  const close = $('#close');
  if (close) close.addEventListener('click', () => window.parent.postMessage({ caunoi: 'close' }, '*'));

  if (hasSession) connect();
})();
