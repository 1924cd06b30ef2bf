// Copy buttons: an enhancement; without JavaScript the text is there to select.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  var text = source ? source.textContent : button.getAttribute("data-text");
  navigator.clipboard.writeText(text).then(function () {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-done") || label;
    setTimeout(function () { button.textContent = label; }, 2000);
  });
});
document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
