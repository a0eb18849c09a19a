// The officer inbox's desk. No inline script (CSP); every form also works without this file.
//
// - Live updates: when alarm.js (which owns the page's live stream, /inbox/events) reports a
//   change in the officer's scope, the list pane or the open conversation's thread is reloaded.
// - Actions without reloading: a form marked `data-desk` (reply, note, take, assign, transfer,
//   close, reopen) is posted with fetch; the server answers as it does without script (the
//   conversation page after its redirect, or the page with the error and 422), and the
//   conversation pane and the list are swapped in place. The window keeps its scroll position,
//   the thread shows its newest message, and after a reply the reply box has the focus again.
// - Canned replies: "Chèn vào ô trả lời" puts the chosen reply's filled text into the reply box
//   at the cursor, to edit before sending (without script the server fills the box instead).
// - Opening without reloading: a click on a card of the list (or the back link to the list)
//   fetches that page and swaps the open pane, the list and the desk's layout in place, with
//   `history.pushState`, so the URL is the page a reload shows and Back/Forward move between
//   the list and the conversations the same way. The live stream follows the open
//   conversation (alarm.js), the thread opens at its newest message with the reply box under
//   it, and the focus goes to the conversation's heading (to the card it came from, back on
//   the list). On a phone the list steps aside, and Back returns to it where it was scrolled.
//   Without script (or when a page is not a desk page) the cards are plain links.
(function () {
  'use strict';

  function list() { return document.getElementById('inbox-list'); }
  function thread() { return document.getElementById('thread'); }

  function reload(el, url) {
    if (!el || !url) { return; }
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html', 'X-Caunoi-Live': '1' } })
      .then(function (r) {
        if (r.status === 401 && window.caunoiSessionEnded) { window.caunoiSessionEnded(); }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        var focused = document.activeElement;
        el.innerHTML = html;
        if (focused && focused.focus && document.contains(focused)) { focused.focus(); }
      })
      .catch(function () { /* the next event retries */ });
  }

  document.addEventListener('caunoi:live', function (ev) {
    var data = ev.detail || {};
    var l = list();
    var t = thread();
    if (l && data.list) { reload(l, l.getAttribute('data-live-list')); }
    if (t && data.thread) { reload(t, t.getAttribute('data-live-thread')); }
  });

  // ---- Actions without reloading the page ----

  function swap(doc, id) {
    var fresh = doc.getElementById(id);
    var old = document.getElementById(id);
    if (!fresh || !old) { return false; }
    old.innerHTML = fresh.innerHTML;
    return true;
  }

  function showNewest() {
    var box = document.getElementById('thread-scroll');
    // The box is column-reverse: its start (scrollTop 0) is the newest message.
    if (box) { box.scrollTop = 0; }
  }

  function submitInPlace(form, submitter) {
    var pane = document.getElementById('conv-pane');
    if (!pane || form.getAttribute('data-busy') === '1') { return false; }
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    // As the browser would send it: multipart only where the form says so (the reply's file).
    var multipart = (form.getAttribute('enctype') || '').indexOf('multipart/') === 0;
    var body = multipart ? data : new URLSearchParams(data);
    form.setAttribute('data-busy', '1');
    var buttons = form.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    var wasReply = form.id === 'reply-form';
    var x = window.scrollX;
    var y = window.scrollY;
    fetch(form.action, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'Accept': 'text/html', 'X-Caunoi-Desk': '1' },
    })
      .then(function (r) {
        if (r.status === 401 && window.caunoiSessionEnded) { window.caunoiSessionEnded(); return null; }
        if (!r.ok && r.status !== 422) { window.location.assign(r.url || form.action); return null; }
        return r.text().then(function (html) { return { url: r.url, html: html }; });
      })
      .then(function (res) {
        if (!res) { return; }
        var doc = new DOMParser().parseFromString(res.html, 'text/html');
        if (!doc.getElementById('conv-pane')) {
          // The conversation left the officer's inbox (handed up to the parent unit): the list.
          window.location.assign(res.url);
          return;
        }
        swap(doc, 'conv-pane');
        swap(doc, 'inbox-list');
        if (res.url) { history.replaceState(history.state, '', res.url.split('#')[0]); }
        document.title = doc.title || document.title;
        window.scrollTo(x, y);
        showNewest();
        var err = document.getElementById('action-error');
        var next = err || (wasReply ? document.getElementById('text') : document.getElementById('action-notice'));
        if (next) {
          if (!next.hasAttribute('tabindex') && next.tagName !== 'TEXTAREA') { next.setAttribute('tabindex', '-1'); }
          next.focus({ preventScroll: true });
        }
      })
      .catch(function () {
        // The network failed: submit the ordinary way, which shows what happened.
        form.removeAttribute('data-desk');
        form.submit();
      })
      .finally(function () {
        form.removeAttribute('data-busy');
        buttons.forEach(function (b) { b.disabled = false; });
      });
    return true;
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-desk')) { return; }
    if (!window.fetch || !window.FormData || !window.DOMParser) { return; }
    if (submitInPlace(form, ev.submitter)) { ev.preventDefault(); }
  });

  // ---- Canned replies into the reply box ----

  document.addEventListener('click', function (ev) {
    var button = ev.target && ev.target.closest ? ev.target.closest('#canned-insert') : null;
    if (!button) { return; }
    var select = document.getElementById('canned');
    var box = document.getElementById('text');
    if (!select || !box) { return; }
    var option = select.options[select.selectedIndex];
    if (!option) { return; }
    ev.preventDefault();
    var text = option.getAttribute('data-text') || '';
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    var sep = before && !/\s$/.test(before) ? ' ' : '';
    box.value = before + sep + text + after;
    var caret = (before + sep + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event('input', { bubbles: true }));
  });

  // ---- Opening a conversation (or the list) in place ----

  var canNavigate = !!(window.history && history.pushState && window.fetch && window.DOMParser);
  var loading = 0;

  // The current entry remembers the window's scroll, for Back to put the list where it was.
  function rememberScroll() {
    var st = history.state && typeof history.state === 'object' ? history.state : {};
    var keep = { desk: true, fromList: !!st.fromList, y: window.scrollY };
    history.replaceState(keep, '', location.href);
  }

  // The conversation a list card opens, or 0 for the list itself.
  function openId() {
    var pane = document.getElementById('conv-pane');
    return pane ? Number(pane.getAttribute('data-conversation') || 0) : 0;
  }

  function follow() {
    // alarm.js owns the stream: point it at the open conversation (or the list).
    var host = document.querySelector('[data-live-events]');
    if (host && window.caunoiFollow) {
      window.caunoiFollow(host.getAttribute('data-live-events'), host.getAttribute('data-conversation'), document.title);
    }
  }

  function swapDesk(doc) {
    var desk = document.querySelector('.desk');
    var freshDesk = doc.querySelector('.desk');
    var oldMain = desk && desk.querySelector(':scope > .desk-main');
    var freshMain = freshDesk && freshDesk.querySelector(':scope > .desk-main');
    var oldList = document.getElementById('inbox-list');
    var freshList = doc.getElementById('inbox-list');
    if (!oldMain || !freshMain || !oldList || !freshList) { return false; }
    oldMain.replaceWith(document.adoptNode(freshMain));
    desk.className = freshDesk.className;
    oldList.innerHTML = freshList.innerHTML;
    ['data-live-list', 'data-live-events'].forEach(function (name) {
      if (freshList.hasAttribute(name)) { oldList.setAttribute(name, freshList.getAttribute(name)); } else { oldList.removeAttribute(name); }
    });
    // The inbox's head (its title bar and notices) belongs to the list's page only. It is hidden
    // rather than removed, so the alarm device card keeps what push.js made of it.
    var top = document.getElementById('inbox-top');
    var freshTop = doc.getElementById('inbox-top');
    if (top) {
      top.hidden = !freshTop;
    } else if (freshTop) {
      desk.parentNode.insertBefore(document.adoptNode(freshTop), desk);
    }
    document.title = doc.title || document.title;
    return true;
  }

  // Loads `url` into the desk. `how` is 'push' (a click: a new history entry) or 'pop' (Back or
  // Forward: the entry exists, `state` is its remembered scroll).
  function navigate(url, how, state) {
    var ticket = ++loading;
    var from = openId();
    if (how === 'push') { rememberScroll(); }
    document.body.setAttribute('aria-busy', 'true');
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html', 'X-Caunoi-Live': '1' } })
      .then(function (r) {
        if (r.status === 401 && window.caunoiSessionEnded) { window.caunoiSessionEnded(); return null; }
        if (!r.ok) { window.location.assign(url); return null; }
        return r.text().then(function (html) { return { url: r.url || url, html: html }; });
      })
      .then(function (res) {
        if (!res || ticket !== loading) { return; }
        var doc = new DOMParser().parseFromString(res.html, 'text/html');
        if (!swapDesk(doc)) { window.location.assign(url); return; }
        var to = openId();
        if (how === 'push') {
          history.pushState({ desk: true, fromList: from === 0 && to > 0, y: 0 }, '', res.url.split('#')[0]);
        }
        follow();
        if (to > 0) {
          window.scrollTo(0, 0);
          showNewest();
          var title = document.getElementById('conv-title');
          if (title) { title.setAttribute('tabindex', '-1'); title.focus({ preventScroll: true }); }
        } else {
          window.scrollTo(0, (state && state.y) || 0);
          var card = from ? document.querySelector('#inbox-list .conv-card[data-id="' + from + '"] a.conv-link') : null;
          var target = card || document.getElementById('desk-list-title');
          if (target) {
            if (!card) { target.setAttribute('tabindex', '-1'); }
            target.focus({ preventScroll: true });
          }
        }
      })
      .catch(function () { window.location.assign(url); })
      .finally(function () { if (ticket === loading) { document.body.removeAttribute('aria-busy'); } });
  }

  if (canNavigate && document.querySelector('.desk')) {
    if ('scrollRestoration' in history) { history.scrollRestoration = 'manual'; }
    rememberScroll();

    document.addEventListener('click', function (ev) {
      if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) { return; }
      var link = ev.target && ev.target.closest ? ev.target.closest('#inbox-list a.conv-link, #conv-pane a.back-link') : null;
      if (!link || link.origin !== location.origin) { return; }
      ev.preventDefault();
      // Back to the list it came from: the browser's Back, so Forward opens the conversation again.
      if (link.classList.contains('back-link') && history.state && history.state.fromList) {
        history.back();
        return;
      }
      navigate(link.href, 'push');
    });

    window.addEventListener('popstate', function (ev) {
      if (!ev.state || !ev.state.desk) { window.location.reload(); return; }
      navigate(location.href, 'pop', ev.state);
    });
  }

  showNewest();
})();
