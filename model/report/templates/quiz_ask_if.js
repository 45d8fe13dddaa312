// Hide questions whose data-ask-if does not hold, and leave them out when the form is sent.
// Without JavaScript they stay visible with a note; the server checks them either way.
// (They are disabled only on sending: a disabled field would not get its answer back when the
// browser refills the form after Back.)
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form) { return; }
  var deps = form.querySelectorAll("[data-ask-if]");
  function answer(name) {
    var field = form.elements.namedItem(name);
    return field ? field.value : "";
  }
  function update() {
    deps.forEach(function (el) {
      var rule = JSON.parse(el.getAttribute("data-ask-if"));
      var show = Object.keys(rule).every(function (name) {
        return rule[name].indexOf(answer(name)) >= 0;
      });
      el.hidden = !show;
      el.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = false;
      });
    });
  }
  form.addEventListener("change", update);
  form.addEventListener("submit", function () {
    update();
    deps.forEach(function (el) {
      el.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = el.hidden;
      });
    });
  });
  // A page the browser brings back (Back after the report) refills its answers after this script
  // first ran, without a change event: look again, so a follow-up keeps showing with its answer.
  window.addEventListener("pageshow", update);
  document.documentElement.classList.add("js");
  update();
  // Answers sent back to be checked: start at the list of what to check.
  var summary = document.getElementById("problems");
  if (summary) { summary.focus(); }
})();
