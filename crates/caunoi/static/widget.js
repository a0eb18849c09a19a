// caunoi chat widget. On any site:
//   <script src="https://caunoi.example.vn/widget.js" data-unit="qn-bai-chay" defer></script>
// adds a floating button that opens the unit's web chat in a frame (/u/{unit}/chat?embed=1).
// Optional: data-label="…" (button text). Styles are set through the CSSOM, so a strict
// style-src on the host page does not block them; the frame is created on first open only.
(() => {
  'use strict';
  const me = document.currentScript;
  if (!me || window.caunoiWidgetLoaded) return;
  window.caunoiWidgetLoaded = true;
  const unit = me.dataset.unit;
  if (!unit) {
    console.warn('caunoi widget: add data-unit="<unit code>" to the script tag');
    return;
  }
  const origin = new URL(me.src, window.location.href).origin;
  const vi = !/^en\b/i.test(document.documentElement.lang || '');
  const label = me.dataset.label || (vi ? 'Hỏi đáp với Công an' : 'Chat with the police');

  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.setAttribute('aria-expanded', 'false');
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6zm8 5H6v-2h8zm4-6H6V6h12z');
  svg.append(path);
  button.append(svg, label);
  Object.assign(button.style, {
    position: 'fixed', right: '16px', bottom: '16px', zIndex: '2147483000', border: '0', borderRadius: '999px',
    padding: '12px 18px', background: '#0b4f9c', color: '#fff', font: '600 15px system-ui, sans-serif',
    display: 'inline-flex', alignItems: 'center', gap: '8px',
    boxShadow: '0 4px 14px rgba(0,0,0,.25)', cursor: 'pointer', maxWidth: 'calc(100vw - 32px)',
  });

  const panel = document.createElement('div');
  Object.assign(panel.style, {
    position: 'fixed', right: '16px', bottom: '76px', zIndex: '2147483000', width: 'min(380px, calc(100vw - 32px))',
    height: 'min(620px, calc(100vh - 100px))', borderRadius: '14px', overflow: 'hidden', display: 'none',
    boxShadow: '0 8px 30px rgba(0,0,0,.3)', background: '#fff',
  });
  let frame = null;

  function fit() {
    const small = window.innerWidth < 480;
    Object.assign(panel.style, small
      ? { right: '0', bottom: '0', width: '100vw', height: '100%', borderRadius: '0' }
      : { right: '16px', bottom: '76px', width: 'min(380px, calc(100vw - 32px))', height: 'min(620px, calc(100vh - 100px))', borderRadius: '14px' });
  }

  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.src = `${origin}/u/${encodeURIComponent(unit)}/chat?embed=1`;
      frame.title = label;
      frame.setAttribute('allow', 'geolocation');
      Object.assign(frame.style, { width: '100%', height: '100%', border: '0', display: 'block' });
      panel.append(frame);
    }
    fit();
    panel.style.display = 'block';
    button.setAttribute('aria-expanded', 'true');
    if (window.innerWidth < 480) button.style.display = 'none';
  }

  function close() {
    panel.style.display = 'none';
    button.style.display = 'inline-flex';
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }

  button.addEventListener('click', () => (panel.style.display === 'none' ? open() : close()));
  window.addEventListener('message', (e) => {
    if (e.origin === origin && e.data && e.data.caunoi === 'close') close();
  });
  window.addEventListener('keydown', (e) => { if (e.key === 'Escape' && panel.style.display !== 'none') close(); });
  window.addEventListener('resize', () => { if (panel.style.display !== 'none') fit(); });

  const mount = () => { document.body.append(panel, button); };
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
