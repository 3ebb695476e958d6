package template

import (
	"strings"
	"testing"
)

// typicalEmail is a ~10 KB newsletter in the usual table layout: a header,
// personalised greeting, eight article blocks with a condition each, links
// with tracking parameters and the footer.
func typicalEmail() Template {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ message.subject }}</title><style>body{margin:0;padding:0;background:#f4f5f7}a{color:#2f5bea}@media (max-width:620px){.container{width:100%!important}}</style></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f5f7;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="background:#ffffff;border-radius:8px;font-family:Helvetica,Arial,sans-serif;color:#1f2430;">
<tr><td style="padding:12px 32px 0;font-size:12px;color:#6b7280;text-align:right;"><a href="{{ view_in_browser_url }}" style="color:#6b7280;">View in your browser</a></td></tr>
<tr><td style="padding:24px 32px 8px;"><h1 style="margin:0;font-size:24px;line-height:32px;">Hi {{ traits.first_name | default: "there" | capitalize }}, here is your week</h1></td></tr>
`)
	for i := range 8 {
		b.WriteString(`<tr><td style="padding:8px 32px;font-size:16px;line-height:24px;">
<h2 style="margin:0 0 8px;font-size:18px;line-height:26px;">How teams like {{ traits.company | default: "yours" | truncate: 40 }} turn visitors into leads</h2>
<p style="margin:0 0 16px;">Most visitors leave without a trace. This week we look at the forms, timing and follow-ups that changed that for three teams, with their numbers, and what you can copy today in under an hour.</p>
{% if traits.plan == "pro" %}<p style="margin:0 0 16px;">Everything here is already part of your Pro workspace.</p>{% elsif traits.plan == "trial" %}<p style="margin:0 0 16px;">Your trial includes all of it: try it before {{ traits.trial_ends | date: "January 2" | default: "the trial ends" }}.</p>{% else %}<p style="margin:0 0 16px;">Available on every plan.</p>{% endif %}
<a href="https://example.com/blog/article-`)
		b.WriteByte(byte('0' + i))
		b.WriteString(`?utm_source=leadflow&amp;utm_medium=email&amp;utm_campaign={{ campaign.id }}" style="display:inline-block;background:#2f5bea;color:#ffffff;text-decoration:none;font-weight:bold;padding:10px 20px;border-radius:6px;">Read the article</a>
</td></tr>
`)
	}
	b.WriteString(`</table>
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="font-family:Helvetica,Arial,sans-serif;"><tr><td style="padding:16px 32px;font-size:12px;line-height:18px;color:#6b7280;text-align:center;">
You receive this because you subscribed to the {{ sender.name }} newsletter with {{ contact.email }}.<br>{{ sender.address }}<br>
<a href="{{ preferences_url }}" style="color:#6b7280;">Email preferences</a> &middot; <a href="{{ unsubscribe_url }}" style="color:#6b7280;">Unsubscribe</a>
</td></tr></table></td></tr></table></body></html>`)
	t := validMarketing()
	t.Subject = "{{ traits.first_name | default: 'Hi' }}, your week in lead generation"
	t.Preheader = "Three teams, their numbers, and what to copy today."
	t.HTML = b.String()
	return t
}

// BenchmarkRender renders a typical 10 KB marketing email (HTML, generated
// text part, preheader) for one contact: the per-recipient cost of a send.
func BenchmarkRender(b *testing.B) {
	tpl := typicalEmail()
	c, _, err := Compile(tpl)
	if err != nil {
		b.Fatal(err)
	}
	d := Sample()
	b.SetBytes(int64(len(tpl.HTML)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Render(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}

// BenchmarkRenderTracked adds what the pipeline does after rendering:
// click-tracking rewrites and the open pixel.
func BenchmarkRenderTracked(b *testing.B) {
	c, _, err := Compile(typicalEmail())
	if err != nil {
		b.Fatal(err)
	}
	d := Sample()
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Render(d)
		if err != nil {
			b.Fatal(err)
		}
		html := r.RewriteLinks(func(u string) string { return "https://t.example/c/abc123?u=" + u })
		_ = InsertOpenPixel(html, "https://t.example/o/abc123.gif")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}

// BenchmarkCompile is the save-time (and cold-start) cost.
func BenchmarkCompile(b *testing.B) {
	tpl := typicalEmail()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Compile(tpl); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTypicalEmailIsTypical(t *testing.T) {
	tpl := typicalEmail()
	if n := len(tpl.HTML); n < 9000 || n > 12000 {
		t.Fatalf("benchmark template is %d bytes, want about 10 KB", n)
	}
	if _, warns, err := Compile(tpl); err != nil || len(warns) != 0 {
		t.Fatalf("%v %v", warns, err)
	}
}

// hostileSources are the admin API's worst cases, MaxBodyBytes each, shaped
// to hit every loop of the compiler, renderer and link rewriter.
func hostileSources() map[string]string {
	fill := func(prefix, unit, suffix string) string {
		n := (MaxBodyBytes - len(prefix) - len(suffix)) / len(unit)
		return prefix + strings.Repeat(unit, n) + suffix
	}
	return map[string]string{
		"tag name":           fill("<", "a", ">"),
		"attribute name":     fill("<a ", "b", ">"),
		"attribute values":   fill("<a ", `href="x" `, ">"),
		"raw with openers":   fill("{% raw %}", "{%", "%}"),
		"raw with near ends": fill("{% raw %}", "{% endra %}", ""),
		"warnings":           fill("", "{{ traits.x }}", ""),
		"problems":           fill("", "{{ nope }}", ""),
		"and chain":          fill("{% if ", "traits.a and ", "traits.b %}{{ traits.a }}{% endif %}"),
		"or chain":           fill("{% if ", "traits.a or ", "traits.b %}{{ traits.a }}{% endif %}"),
		"comment dashes":     fill("<!--", "-", ""),
		"script":             fill("<script>", "<", ""),
		"unclosed outputs":   fill("", "{{ x", ""),
		"many ifs":           fill("", "{% if traits.a %}<b>{{ traits.a }}</b>{% endif %}", ""),
		"lines":              fill("", "\n", "{{ nope"),
		"entities":           fill("<p>", "&amp;", "</p>"),
		"links":              fill("<body>", `<a href="https://x.example/">x</a>`, "</body>"),
	}
}

// BenchmarkHostileSources is the save path's worst case: each must stay
// linear (well under a second for 256 KB), so a save cannot burn a Lambda's time.
func BenchmarkHostileSources(b *testing.B) {
	for name, src := range hostileSources() {
		tpl := htmlTemplate(src)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				c, _, err := Compile(tpl)
				if err != nil {
					continue
				}
				r, err := c.Render(Sample())
				if err != nil {
					b.Fatal(err)
				}
				RewriteLinks(r.HTML, func(u string) string { return u + "?t" })
				InsertOpenPixel(r.HTML, "https://t.example/o")
			}
		})
	}
}
