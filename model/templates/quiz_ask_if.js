// Hide (and disable, so they are not sent) questions whose data-ask-if does not hold.
// Without JavaScript they stay visible with a note; the server checks them either way.
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
        input.disabled = !show;
      });
    });
  }
  form.addEventListener("change", update);
  document.documentElement.classList.add("js");
  update();
})();
