// SPDX-License-Identifier: GPL-2.0
/*
 * fields: a command's rows as text, CSV or JSON lines, from one table of
 * fields (fields.h): show, status, top, and record's rows (rows.c).  Numbers
 * stay bare in CSV and JSON so pandas and R read them as numbers; strings
 * are quoted by libcsv (RFC 4180) and escaped as JSON.  A CSV or JSON row
 * is built in memory and written at once: record writes many.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <csv.h>

#include "fields.h"
#include "rows.h"

int cvm_view_parse(const char *arg, enum cvm_view_format *format)
{
	if (!strcmp(arg, "text"))
		*format = CVM_VIEW_TEXT;
	else if (!strcmp(arg, "csv"))
		*format = CVM_VIEW_CSV;
	else if (!strcmp(arg, "json"))
		*format = CVM_VIEW_JSON;
	else
		return -1;
	return 0;
}

static bool shown(const struct cvm_view *v, const struct cvm_field *fl)
{
	return fl->in & (v->format == CVM_VIEW_TEXT ? CVM_IN_TEXT : CVM_IN_DATA);
}

/* @v in decimal, ending at @end (exclusive); returns where it starts. */
static char *dec(char *end, uint64_t v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

static char *sdec(char *end, int64_t v)
{
	char *p = dec(end, v < 0 ? -(uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	return p;
}

/* snprintf's length of what it wrote into @len bytes */
static size_t written_len(int n, size_t len)
{
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/*
 * The field's value as text, its length in *@n; for JSON, whether it is a
 * string.  Integers are written by hand, not by snprintf: record writes
 * tens of thousands of rows a second from a busy VM, and its budget is 1%
 * of a CPU.
 */
static const char *value(const struct cvm_field *fl, const void *row,
			 char *buf, size_t len, size_t *n, bool *string,
			 enum cvm_view_format format)
{
	bool text = format == CVM_VIEW_TEXT;
	const char *p = (const char *)row + fl->offset;
	char *end = buf + len - 1;
	const char *s;
	double d;

	*string = false;
	*end = '\0';
	switch (fl->type) {
	case CVM_FIELD_U64:
		s = dec(end, *(const uint64_t *)p);
		break;
	case CVM_FIELD_I64:
		s = sdec(end, *(const int64_t *)p);
		break;
	case CVM_FIELD_U32:
		s = dec(end, *(const uint32_t *)p);
		break;
	case CVM_FIELD_I32:
		s = sdec(end, *(const int32_t *)p);
		break;
	case CVM_FIELD_PCT:
		*n = written_len(snprintf(buf, len, "%.1f", *(const double *)p), len);
		return buf;
	case CVM_FIELD_F64:
		*n = written_len(snprintf(buf, len, text ? "%.1f" : "%.3f",
					  *(const double *)p), len);
		return buf;
	case CVM_FIELD_F3:
	case CVM_FIELD_F3_OPT:
		d = *(const double *)p;
		if (fl->type == CVM_FIELD_F3_OPT && isnan(d)) {
			s = text ? "-" : format == CVM_VIEW_JSON ? "null" : "";
			*n = strlen(s);
			return s;
		}
		*n = written_len(snprintf(buf, len, "%.3f", d), len);
		return buf;
	case CVM_FIELD_STR:
		s = *(const char *const *)p;
		*string = true;
		*n = s ? strlen(s) : 1;
		return s ? s : "-";
	default:
		*n = 0;
		return "";
	}
	*n = end - s;
	return s;
}

/*
 * A CSV or JSON row is built here and written with one fwrite: per field
 * stdio calls cost record more than everything else it does.
 */
struct line {
	FILE *f;
	size_t len;
	char buf[1024];
};

static void line_flush(struct line *l)
{
	fwrite(l->buf, 1, l->len, l->f);
	l->len = 0;
}

static void put(struct line *l, const char *s, size_t n)
{
	if (l->len + n > sizeof(l->buf)) {
		line_flush(l);
		if (n > sizeof(l->buf)) {
			fwrite(s, 1, n, l->f);
			return;
		}
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void putc_line(struct line *l, char c)
{
	put(l, &c, 1);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Whether a CSV field needs quoting: when RFC 4180 says so, and when
 * white space at either end would be trimmed by readers that trim
 * (libcsv's own parser does).
 */
static bool csv_quoted(const char *s, size_t n)
{
	return strcspn(s, ",\"\r\n") != n ||
	       (n && (blank(s[0]) || blank(s[n - 1])));
}

/* @s (@n bytes) as one CSV field, quoted by libcsv (RFC 4180) if it must. */
static void csv_field(struct line *l, const char *s, size_t n)
{
	size_t need;
	char q[256];

	if (!csv_quoted(s, n)) {
		put(l, s, n);
		return;
	}
	need = csv_write(q, sizeof(q), s, n);
	if (need <= sizeof(q)) {
		put(l, q, need);
		return;
	}
	line_flush(l);
	csv_fwrite(l->f, s, n);
}

/* Length of the valid UTF-8 sequence at @s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int c = s[0];
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, surrogates or code points past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* @str as a JSON string (quoted; invalid UTF-8 bytes become U+FFFD). */
static void json_string(struct line *l, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	putc_line(l, '"');
	while (*s) {
		size_t n = utf8_len(s);

		if (!n) {
			put(l, "\\ufffd", 6);
			s++;
		} else if (*s == '"' || *s == '\\') {
			putc_line(l, '\\');
			putc_line(l, *s++);
		} else if (*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s++);
			put(l, esc, 6);
		} else {
			put(l, (const char *)s, n);
			s += n;
		}
	}
	putc_line(l, '"');
}

/* The CSV header: the fields' names, through the rows' writer. */
static void csv_header(const struct cvm_view *v)
{
	struct line l = { .f = v->f };
	bool first = true;
	size_t i;

	for (i = 0; i < v->nr; i++) {
		const struct cvm_field *fl = &v->fields[i];

		if (!shown(v, fl))
			continue;
		if (!first)
			putc_line(&l, ',');
		csv_field(&l, fl->name, strlen(fl->name));
		first = false;
	}
	putc_line(&l, '\n');
	line_flush(&l);
}

void cvm_view_header(const struct cvm_view *v)
{
	size_t i, last = 0;

	if (v->format == CVM_VIEW_JSON)
		return;
	if (v->format == CVM_VIEW_CSV) {
		csv_header(v);
		return;
	}
	for (i = 0; i < v->nr; i++)
		if (shown(v, &v->fields[i]))
			last = i;
	for (i = 0; i < v->nr; i++) {
		const struct cvm_field *fl = &v->fields[i];

		if (!shown(v, fl))
			continue;
		fprintf(v->f, "%s%*s", fl->sep ? fl->sep : "", fl->width,
			fl->heading);
		if (i == last)
			fputc('\n', v->f);
	}
}

/* A CSV record or a JSON object on one line, built in memory. */
static void data_row(const struct cvm_view *v, const void *row)
{
	struct line l = { .f = v->f };
	bool first = true;
	size_t i;

	for (i = 0; i < v->nr; i++) {
		const struct cvm_field *fl = &v->fields[i];
		const char *s;
		bool string;
		char buf[64];
		size_t n;

		if (!shown(v, fl))
			continue;
		s = value(fl, row, buf, sizeof(buf), &n, &string, v->format);
		if (v->format == CVM_VIEW_CSV) {
			if (!first)
				putc_line(&l, ',');
			if (string)
				csv_field(&l, s, n);
			else
				put(&l, s, n);
		} else {
			/* names are identifiers: nothing to escape */
			put(&l, first ? "{\"" : ",\"", 2);
			put(&l, fl->name, strlen(fl->name));
			put(&l, "\":", 2);
			if (string)
				json_string(&l, s);
			else
				put(&l, s, n);
		}
		first = false;
	}
	if (v->format == CVM_VIEW_JSON)
		putc_line(&l, '}');
	putc_line(&l, '\n');
	line_flush(&l);
}

void cvm_view_row(const struct cvm_view *v, const void *row)
{
	size_t i, last = 0;

	if (v->format != CVM_VIEW_TEXT) {
		data_row(v, row);
		return;
	}
	for (i = 0; i < v->nr; i++)
		if (shown(v, &v->fields[i]))
			last = i;
	for (i = 0; i < v->nr; i++) {
		const struct cvm_field *fl = &v->fields[i];
		char buf[64], pct[72];
		const char *s;
		bool string;
		size_t n;

		if (!shown(v, fl))
			continue;
		s = value(fl, row, buf, sizeof(buf), &n, &string, v->format);
		if (fl->type == CVM_FIELD_PCT) {
			snprintf(pct, sizeof(pct), "%s%%", s);
			s = pct;
		}
		fprintf(v->f, "%s%*s", fl->sep ? fl->sep : "", fl->width, s);
		if (i == last)
			fputc('\n', v->f);
	}
}
