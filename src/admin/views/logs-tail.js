// Logs page, "Follow": while ticked, the matching lines are fetched again every 3 seconds and
// replaced in place (the same GET as the filter form's, so the filter applies). Without
// JavaScript the box stays hidden and the page shows the lines as of its loading.
(() => {
  const box = document.getElementById('follow');
  if (!box) return;
  box.closest('[hidden]').hidden = false;
  let timer = null;
  const refresh = async () => {
    const res = await fetch(location.href, { cache: 'no-store' }).catch(() => null);
    if (!res || !res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('log-lines');
    // A page without the lines (the login page, once the session has expired) changes nothing.
    if (fresh) document.getElementById('log-lines').replaceWith(fresh);
  };
  box.addEventListener('change', () => {
    clearInterval(timer);
    if (box.checked) {
      void refresh();
      timer = setInterval(refresh, 3000);
    }
  });
})();
