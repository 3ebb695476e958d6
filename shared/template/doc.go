// Package template holds email templates as data and the small template
// language they are written in: a safe subset of Liquid that marketers
// already know from other tools. The lexer and parser are our own, so the
// language stays exactly this small.
//
// A template is compiled when it is saved (repo definitions in CI, the admin
// API on PUT) and every problem is reported then, with line:column: bad
// syntax, unknown fields and filters, a marketing template without an
// unsubscribe link or postal address, a field placed where no escaping makes
// it safe. Rendering a compiled template cannot fail on missing or hostile
// data: missing values render empty (or as their default), and contact data
// is escaped for where it lands (HTML text, attribute, URL), so a trait
// holding "<script>" arrives as inert text.
//
// The package is plain Go with no AWS imports; the sending pipeline maps a
// contact profile into Data, renders, rewrites links for click tracking
// (Rendered.RewriteLinks), adds the open pixel (InsertOpenPixel) and hands
// the parts to SES.
//
// # Syntax
//
// Output, with filters applied left to right:
//
//	{{ traits.first_name | default: "there" | capitalize }}
//
// Filters:
//
//	default: v          v when the value is missing, null, false, blank or an empty list
//	upcase, downcase    letter case
//	capitalize          first letter upper case, the rest untouched ("mcDonald" → "McDonald")
//	truncate: n[, "…"]  at most n characters including the ending (default "...")
//	date: "Jan 2, 2006" a Go layout; reads dates, RFC 3339 / ISO text, Unix seconds or
//	                    milliseconds, "now"; shown in the contact's time zone
//
// Blocks:
//
//	{% if cond %}…{% elsif cond %}…{% else %}…{% endif %}
//	{% unless cond %}…{% else %}…{% endunless %}
//	{% raw %}{{ shown as is }}{% endraw %}
//	{% comment %}not rendered{% endcomment %}
//
// Conditions compare with ==, !=, >, <, >=, <= and contains (text contains
// text, a list contains an item, an object has a key) and combine with and /
// or (and binds tighter). A bare field is true when it is set (not missing,
// null, false, blank or empty; 0 is set). Literals: "text", 'text', 12,
// -1.5, true, false, nil. Comparisons are lenient the way people read them:
// missing equals "", 12 equals "12", dates compare with "2025-01-01".
//
// Whitespace control as in Liquid: {{- / {%- trim the whitespace before,
// -}} / -%} the whitespace after.
//
// Fields (anything else is an error when the template is saved):
//
//	contact.email  contact.id  contact.first_seen  contact.status  contact.tags
//	traits.<name>[.<key>…]   free-form: a warning asks for a default or an {% if %}
//	company.domain  company.email_type
//	location.country  location.region  location.city
//	sender.name  sender.address (the postal address for the footer)
//	unsubscribe_url  preferences_url  view_in_browser_url  confirm_url
//	campaign.id  campaign.name
//	message.subject (the rendered subject; not in the subject itself)
//
// In the HTML part a field may sit in text or in a quoted attribute value.
// Inside a URL attribute (href, src, …) a value that starts the URL may only
// be http, https, mailto, tel or relative; later in the URL it is
// percent-encoded. Fields are refused inside tag markup, unquoted attributes,
// on* handlers, style attributes, <script> and <style>.
//
// Marketing templates must show <a href="{{ unsubscribe_url }}"> and
// {{ sender.address }} in the HTML outside any block (and in the text part,
// when one is given).
package template
