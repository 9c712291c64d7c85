// A minimal chat box over the Rasa REST channel. Text is always inserted as text nodes;
// only http(s) links become clickable.
(function () {
  "use strict";
  var config = window.JRA_CONFIG || { rasaUrl: "http://127.0.0.1:5005" };
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("message");
  var senderId = localStorage.getItem("jra-sender") ||
    ("web-" + Math.random().toString(36).slice(2) + Date.now().toString(36));
  localStorage.setItem("jra-sender", senderId);

  function appendText(element, text) {
    var pattern = /https?:\/\/[^\s<>"')]+/g, last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      element.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement("a");
      link.href = match[0]; link.textContent = match[0];
      link.target = "_blank"; link.rel = "noopener noreferrer";
      element.appendChild(link);
      last = match.index + match[0].length;
    }
    element.appendChild(document.createTextNode(text.slice(last)));
  }

  function addMessage(text, kind) {
    var item = document.createElement("li");
    item.className = "msg msg--" + kind;
    appendText(item, text);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function addButtons(buttons) {
    var item = document.createElement("li");
    item.className = "buttons";
    buttons.forEach(function (button) {
      var element = document.createElement("button");
      element.type = "button";
      element.textContent = button.title;
      element.addEventListener("click", function () { send(button.payload, button.title); });
      item.appendChild(element);
    });
    log.appendChild(item);
  }

  function send(message, shown) {
    addMessage(shown || message, "user");
    fetch(config.rasaUrl + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: senderId, message: message,
                             metadata: { language_code: navigator.language } })
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (replies) {
      replies.forEach(function (reply) {
        if (reply.text) { addMessage(reply.text, "bot"); }
        if (reply.buttons && reply.buttons.length) { addButtons(reply.buttons); }
      });
    }).catch(function () {
      addMessage("The assistant is not reachable right now. Please try again in a moment.", "notice");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
})();
