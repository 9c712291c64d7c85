/* The chat widget of the Japan residence assistant (see docs/widget.md): the conversation,
   the language, the user's actions. bot/web/bundle.py wraps it in one function with
     io        the socket.io client (static/vendor/socket.io.min.js), never a page global;
     LANGUAGES the five language codes, from bot/languages.py;
     TEXTS     every sentence the widget shows, per language (widget/texts.json);
     STYLES    its styles (widget/widget.css), put into the widget's shadow root;
     DEFAULTS  the Rasa server URL of the page server that served the bundle;
     FEEDBACK  the metadata key of an answer that asks "Was this helpful?" and the payloads of
               its thumbs-up / thumbs-down buttons, from bot/feedback.py;
   after helpers.js, config.js, connection.js and view.js.
   Everything the bot or the user wrote is inserted as text nodes; only http(s) links become
   elements, and the host page's styles cannot reach into the shadow root. */

var ANSWER_TIMEOUT_MS = 30000;
// The "Was this helpful?" buttons under an answer: what each shows and sends (bot/feedback.py).
var RATINGS = [
  { value: "helpful", icon: "\ud83d\udc4d", label: "helpful", payload: FEEDBACK.payloads[0] },
  { value: "notHelpful", icon: "\ud83d\udc4e", label: "notHelpful", payload: FEEDBACK.payloads[1] }
];

function ChatWidget(config) {
  var store = new Store(config.persist, STORE_PREFIX + config.serverUrl);
  var state = loadState(config, store);
  var floating = !config.container;
  var connection = null;
  var answerTimer = null;
  var ui = null;

  function t(key) {
    var texts = TEXTS[state.language];
    return key.split(".").reduce(function (value, part) { return value && value[part]; }, texts) || "";
  }

  function nameOf(code) { return TEXTS[state.language].languages[code]; }

  function save() { saveState(store, state); }

  // Fill every element that names a text key (the scope itself included), in the current language.
  var TEXT_TARGETS = {
    "data-t": function (node, text) { node.textContent = text; },
    "data-t-aria": function (node, text) { node.setAttribute("aria-label", text); },
    "data-t-title": function (node, text) { node.title = text; },
    "data-t-alt": function (node, text) { node.alt = text; },
    "data-t-placeholder": function (node, text) { node.placeholder = text; }
  };

  function translate(scope) {
    Object.keys(TEXT_TARGETS).forEach(function (attribute) {
      var nodes = Array.prototype.slice.call(scope.querySelectorAll("[" + attribute + "]"));
      if (scope.hasAttribute(attribute)) { nodes.push(scope); }
      nodes.forEach(function (node) {
        var name = node.getAttribute("data-name");
        TEXT_TARGETS[attribute](node, t(node.getAttribute(attribute)).replace("{name}", name ? nameOf(name) : ""));
      });
    });
    return scope;
  }

  function applyLanguage() {
    ui.root.lang = state.language;
    var title = config.title;
    ui.title.textContent = (title && typeof title === "object" ? title[state.language] || title.en : title) || t("title");
    ui.currentLanguage.textContent = nameOf(state.language);
    ui.currentLanguage.lang = state.language;
    ui.languageToggle.setAttribute("aria-label", t("languageButton").replace("{name}", nameOf(state.language)));
    ui.languages.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-language") === state.language));
    });
    ui.log.setAttribute("aria-busy", "true");
    translate(ui.root);
    ui.log.querySelectorAll(".msg--welcome").forEach(function (node) { node.lang = state.language; });
    ui.log.setAttribute("aria-busy", "false");
    if (!ui.notice.hidden) { ui.notice.textContent = t("offline"); }
  }

  // ---- messages ---------------------------------------------------------------------------

  function renderMessage(message) {
    var item = element("li", "msg msg--" + message.from, { "data-index": String(state.messages.indexOf(message)) });
    if (message.from === "note") {
      item.setAttribute("data-t", message.key);
      if (message.language) { item.setAttribute("data-name", message.language); }
      return translate(item);
    }
    item.lang = message.lang || guessLanguage(message.text || "", state.language);
    item.appendChild(element("span", "sr", { "data-t": message.from === "user" ? "you" : "assistant" }));
    if (message.text) {
      var text = element("div", "text");
      appendRichText(text, message.text);
      item.appendChild(text);
    }
    if (message.image) {
      item.appendChild(element("img", "", { src: message.image, "data-t-alt": "image" }));
    }
    if (message.pending) {
      item.appendChild(element("span", "pending", { "data-t": "pending" }));
    }
    return translate(item);
  }

  function renderReplies(message) {
    var item = element("li", "replies", { role: "group", "data-t-aria": "suggestions" });
    message.buttons.forEach(function (reply) {
      var button = element("button", "", { lang: guessLanguage(reply.title, state.language) });
      button.type = "button";
      button.textContent = reply.title;
      button.disabled = Boolean(message.used);
      button.addEventListener("click", function () { sendText(reply.payload, reply.title); });
      item.appendChild(button);
    });
    return translate(item);
  }

  // "Was this helpful?" with thumbs up / down under an answer that asks for it. It is not a
  // quick reply: it stays until it is used, whatever the user writes meanwhile, and is used
  // once; the choice stays shown (aria-pressed), and both buttons stay focusable (so the focus
  // is not lost) but do nothing more (aria-disabled).
  function renderFeedback(message) {
    var item = element("li", "feedback", { role: "group", "data-t-aria": "feedbackQuestion" });
    item.appendChild(element("span", "feedback-question", { "data-t": "feedbackQuestion", "aria-hidden": "true" }));
    RATINGS.forEach(function (rating) {
      var button = element("button", "", { "data-rating": rating.value, "data-t-aria": rating.label, "data-t-title": rating.label });
      button.type = "button";
      button.textContent = rating.icon;
      button.addEventListener("click", function () { rate(message, rating, item); });
      item.appendChild(button);
    });
    showRating(item, message.rated);
    return translate(item);
  }

  function showRating(item, rated) {
    item.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-rating") === rated));
      if (rated) { button.setAttribute("aria-disabled", "true"); }
    });
  }

  function rate(message, rating, item) {
    if (message.rated) { return; }
    message.rated = rating.value;
    showRating(item, rating.value);
    queue({ from: "user", text: rating.icon, payload: rating.payload });
  }

  function appendToLog(message) {
    ui.log.appendChild(renderMessage(message));
    if (message.buttons && message.buttons.length) { ui.log.appendChild(renderReplies(message)); }
    if (message.feedback) { ui.log.appendChild(renderFeedback(message)); }
  }

  function renderLog() {
    ui.log.textContent = "";
    var welcome = element("li", "msg msg--bot msg--welcome", { lang: state.language });
    welcome.appendChild(element("span", "sr", { "data-t": "assistant" }));
    welcome.appendChild(element("div", "text", { "data-t": "welcome" }));
    ui.log.appendChild(translate(welcome));
    state.messages.forEach(appendToLog);
    scrollToEnd();
  }

  function scrollToEnd() { ui.log.scrollTop = ui.log.scrollHeight; }

  function add(message) {
    state.messages.push(message);
    save();
    appendToLog(message);
    scrollToEnd();
  }

  // ---- talking to Rasa --------------------------------------------------------------------

  function queue(message) {
    // Quick replies answer only the question they came with.
    state.messages.forEach(function (old) { if (old.buttons) { old.used = true; } });
    ui.log.querySelectorAll(".replies button").forEach(function (button) { button.disabled = true; });
    message.pending = true;
    add(message);
    flush();
  }

  function sendText(payload, shown) { queue({ from: "user", text: shown || payload, payload: payload }); }

  function flush() {
    if (!connection || !connection.ready()) { return; }
    var sent = false;
    state.messages.forEach(function (message) {
      if (!message.pending) { return; }
      connection.send(message.payload, state.language);
      delete message.pending;
      delete message.payload;
      sent = true;
    });
    if (!sent) { return; }
    save();
    ui.log.querySelectorAll(".pending").forEach(function (node) { node.remove(); });
    showTyping(true);
  }

  function showTyping(waiting) {
    ui.typing.hidden = !waiting;
    window.clearTimeout(answerTimer);
    if (waiting) {
      answerTimer = window.setTimeout(function () {
        ui.typing.hidden = true;
        add({ from: "note", key: "noAnswer" });
      }, ANSWER_TIMEOUT_MS);
    }
  }

  // The conversation's language, which every bot message carries (bot/rasa_server.py): the
  // Rasa `language` slot, the one owner. The widget's own texts follow it.
  function replyLanguage(data) {
    var language = data.metadata && typeof data.metadata === "object" ? data.metadata.language : null;
    return LANGUAGES.indexOf(language) >= 0 ? language : null;
  }

  function followLanguage(language) {
    if (!language || language === state.language) { return; }
    state.language = language;
    save();
    applyLanguage();
  }

  function receive(data) {
    if (!data || typeof data !== "object") { return; }
    var language = replyLanguage(data);
    followLanguage(language);
    var message = { from: "bot" };
    if (typeof data.text === "string" && data.text.trim()) { message.text = data.text; }
    var buttons = Array.isArray(data.quick_replies) ? data.quick_replies : data.buttons;
    if (Array.isArray(buttons)) {
      message.buttons = buttons.filter(function (button) {
        return button && typeof button.title === "string" && typeof button.payload === "string";
      }).map(function (button) { return { title: button.title, payload: button.payload }; });
    }
    if (data.metadata && typeof data.metadata === "object" && data.metadata[FEEDBACK.key] === true) { message.feedback = true; }
    var attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload && safeUrl(String(attachment.payload.src))) {
      message.image = safeUrl(String(attachment.payload.src));
    }
    if (!message.text && !message.image && !(message.buttons && message.buttons.length)) { return; }
    showTyping(false);
    if (language) {
      message.lang = language;
      add(message);
    } else {
      add(message);
      settleAnswerLanguage();
    }
  }

  // A message without the conversation's language (a Rasa server without bot/rasa_server.py):
  // one answer arrives as several messages, so guess their language from all of them together,
  // since a short Ukrainian title may have no letter that Russian lacks.
  function settleAnswerLanguage() {
    var first = state.messages.length;
    while (first > 0 && state.messages[first - 1].from === "bot") { first -= 1; }
    var answer = state.messages.slice(first);
    var language = guessLanguage(answer.map(function (message) { return message.text || ""; }).join("\n"), state.language);
    answer.forEach(function (message, offset) {
      message.lang = language;
      var node = ui.log.querySelector('[data-index="' + (first + offset) + '"]');
      if (node) { node.lang = language; }
    });
    save();
  }

  function setOffline(offline) {
    ui.notice.hidden = !offline;
    ui.notice.textContent = offline ? t("offline") : "";
    if (offline) { showTyping(false); }
  }

  function connect() {
    connection = new RasaConnection(config.serverUrl, state.sessionId, {
      message: receive,
      online: function () {
        setOffline(false);
        flush();
      },
      offline: function () { setOffline(true); }
    });
  }

  // ---- user actions -----------------------------------------------------------------------

  function setOpen(open, moveFocus) {
    state.open = open;
    save();
    ui.panel.hidden = !open;
    if (ui.launcher) { ui.launcher.setAttribute("aria-expanded", String(open)); }
    if (open) { scrollToEnd(); }
    if (moveFocus) { (open ? ui.input : ui.launcher).focus(); }
  }

  function toggleLanguages(show) {
    ui.languages.hidden = !show;
    ui.languageToggle.setAttribute("aria-expanded", String(show));
    // Like a menu: the choices come next for the keyboard, starting at the current one.
    if (show) { ui.languages.querySelector('[aria-pressed="true"]').focus(); }
  }

  function chooseLanguage(code) {
    state.language = code;
    save();
    applyLanguage();
    toggleLanguages(false);
    ui.languageToggle.focus();
    queue({ from: "note", key: "languageChanged", language: code, payload: '/change_language{"language": "' + code + '"}' });
  }

  function restart() {
    state.sessionId = newSessionId();
    state.messages = [];
    save();
    renderLog();
    showTyping(false);
    connection.restart(state.sessionId);
    ui.input.focus();
  }

  function submit() {
    var text = ui.input.value.trim();
    if (!text) { return; }
    ui.input.value = "";
    resizeInput();
    sendText(text);
  }

  function resizeInput() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 140) + "px";
  }

  function listen() {
    // Keep the newest message in view when the log shrinks (a phone's keyboard opening, the
    // text area growing), unless the user has scrolled up to read.
    var atEnd = true;
    ui.log.addEventListener("scroll", function () {
      atEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (atEnd) { scrollToEnd(); } }).observe(ui.log);
    }
    ui.form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
    ui.input.addEventListener("keydown", function (event) {
      // Enter also confirms a Japanese or Chinese input method's conversion: never send then.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submit();
      }
    });
    ui.input.addEventListener("input", resizeInput);
    ui.languageToggle.addEventListener("click", function () { toggleLanguages(ui.languages.hidden); });
    ui.languages.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-language]");
      if (button) { chooseLanguage(button.getAttribute("data-language")); }
    });
    ui.restart.addEventListener("click", restart);
    if (floating) {
      ui.launcher.addEventListener("click", function () { setOpen(ui.panel.hidden, true); });
      ui.close.addEventListener("click", function () { setOpen(false, true); });
    }
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      if (!ui.languages.hidden) {
        toggleLanguages(false);
        ui.languageToggle.focus();
      } else if (floating) {
        setOpen(false, true);
      }
    });
  }

  this.mount = function () {
    ui = buildView(floating, config.colors);
    (config.container || document.body).appendChild(ui.host);
    applyLanguage();
    renderLog();
    listen();
    setOpen(state.open, false);
    save();
    connect();
  };
}

function start() {
  if (document.querySelector("jra-chat")) { return; }  // the script was included twice
  new ChatWidget(readConfig()).mount();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
