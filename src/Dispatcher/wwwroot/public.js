// The reader's time zone, from their browser, so digests can arrive at their morning; without JavaScript the
// organisation's Dispatcher:TimeZone applies.
document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
  try {
    input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    input.value = "";
  }
});
