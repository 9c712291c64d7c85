/* The widget's elements, built once inside a shadow root. Texts are not set here: elements
   name their text keys (data-t, data-t-aria, ...) and the widget fills them per language. */

var MAX_MESSAGE_LENGTH = 2000;

// Fixed markup of the icons; nothing from users or the server ever goes through innerHTML.
var ICONS = {
  chat: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>',
  globe: '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/></svg>',
  restart: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12a8 8 0 1 0 2.3-5.7M4 4v4h4"/></svg>',
  close: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>',
  send: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12 20 4l-6 16-3-7-7-1z"/></svg>'
};

function iconButton(className, icon, attributes) {
  var button = element("button", className, attributes);
  button.type = "button";
  button.innerHTML = ICONS[icon];
  return button;
}

// Floating: a launcher button and a panel in the corner; otherwise the panel fills its container.
function buildView(floating, colors) {
  var ui = {};
  var host = element("jra-chat", "", { "data-mode": floating ? "floating" : "inline" });
  Object.keys(COLOR_PROPERTIES).forEach(function (name) {
    var value = colors[name];
    if (typeof value === "string" && window.CSS && window.CSS.supports("color", value)) {
      host.style.setProperty(COLOR_PROPERTIES[name], value);
    }
  });
  var shadow = host.attachShadow({ mode: "open" });
  var style = element("style");
  style.textContent = STYLES;
  var root = element("div", "root " + (floating ? "root--floating" : "root--inline"));
  shadow.appendChild(style);
  shadow.appendChild(root);

  var panel = element("section", "panel", { id: "panel", "aria-labelledby": "title" });
  var header = element("div", "header");
  ui.title = element("h2", "title", { id: "title" });
  ui.languageToggle = iconButton("icon language-toggle", "globe", { "aria-expanded": "false", "aria-controls": "languages" });
  ui.currentLanguage = element("span", "current-language", { "aria-hidden": "true" });
  ui.languageToggle.appendChild(ui.currentLanguage);
  ui.restart = iconButton("icon restart", "restart", { "data-t-aria": "newConversation", "data-t-title": "newConversation" });
  header.appendChild(ui.title);
  header.appendChild(ui.languageToggle);
  header.appendChild(ui.restart);
  if (floating) {
    ui.close = iconButton("icon close", "close", { "data-t-aria": "closeChat", "data-t-title": "closeChat" });
    header.appendChild(ui.close);
  }

  ui.languages = element("div", "languages", { id: "languages", role: "group", "data-t-aria": "language" });
  ui.languages.hidden = true;
  LANGUAGES.forEach(function (code) {
    var button = element("button", "", { lang: code, "data-language": code, "data-t-title": "languages." + code });
    button.type = "button";
    button.textContent = TEXTS[code].languages[code];
    ui.languages.appendChild(button);
  });

  ui.notice = element("p", "notice", { role: "status" });
  ui.notice.hidden = true;
  ui.log = element("ol", "log", { role: "log", "aria-live": "polite", "data-t-aria": "conversation", tabindex: "0" });
  ui.typing = element("div", "typing", { role: "status" });
  ui.typing.hidden = true;
  var dots = element("span", "dots", { "aria-hidden": "true" });
  dots.appendChild(element("i"));
  dots.appendChild(element("i"));
  dots.appendChild(element("i"));
  ui.typing.appendChild(dots);
  ui.typing.appendChild(element("span", "", { "data-t": "typing" }));

  ui.form = element("form", "composer");
  var label = element("label", "sr", { for: "input", "data-t": "messageLabel" });
  ui.input = element("textarea", "", { id: "input", rows: "1", maxlength: String(MAX_MESSAGE_LENGTH), "data-t-placeholder": "placeholder", autocomplete: "off" });
  ui.send = iconButton("send", "send", { "data-t-aria": "send", "data-t-title": "send" });
  ui.send.type = "submit";
  ui.form.appendChild(label);
  ui.form.appendChild(ui.input);
  ui.form.appendChild(ui.send);

  [header, ui.languages, ui.notice, ui.log, ui.typing, ui.form].forEach(function (part) { panel.appendChild(part); });
  root.appendChild(panel);
  if (floating) {
    ui.launcher = iconButton("launcher", "chat", { "aria-controls": "panel", "data-t-aria": "openChat", "data-t-title": "openChat" });
    root.appendChild(ui.launcher);
  }
  ui.host = host;
  ui.root = root;
  ui.panel = panel;
  return ui;
}
