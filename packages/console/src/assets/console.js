// restauth console: the only script, served from the package (the CSP allows no inline script).
// Copy buttons and confirmation prompts; every page also works without it.
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy') || '');
    if (!source) return;
    var text = 'value' in source ? source.value : source.textContent;
    var done = function () {
      button.textContent = 'Copied';
      button.setAttribute('aria-live', 'polite');
      setTimeout(function () { button.textContent = 'Copy'; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
      try { if (document.execCommand('copy')) done(); } catch (e) { /* the text stays selected to copy by hand */ }
    }
  });
  function selectText(el) {
    if (typeof el.select === 'function') { el.focus(); el.select(); }
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute('data-confirm') : null;
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener('DOMContentLoaded', function () {
    var buttons = document.querySelectorAll('[data-copy]');
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  });
})();
