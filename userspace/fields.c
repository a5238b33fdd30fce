// SPDX-License-Identifier: GPL-2.0
/*
 * fields: a command's rows as text, CSV or JSON lines, from one table of
 * fields (fields.h): show, status, top, and record's rows (rows.c).  Numbers
 * stay bare in CSV and JSON so pandas and R read them as numbers; strings
 * are quoted by libcsv (RFC 4180) and escaped as JSON (cvm_json_string,
 * rows.c).
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

/*
 * Quoted when RFC 4180 needs it, and when white space at either end would
 * be trimmed by readers that trim (libcsv's own parser does).
 */
void cvm_csv_field(FILE *f, const char *s, int last)
{
	size_t n = strlen(s);

	if (strpbrk(s, ",\"\r\n") ||
	    (n && (strchr(" \t", s[0]) || strchr(" \t", s[n - 1]))))
		csv_fwrite(f, s, n);
	else
		fputs(s, f);
	fputc(last ? '\n' : ',', f);
}

static bool shown(const struct cvm_view *v, const struct cvm_field *fl)
{
	return fl->in & (v->format == CVM_VIEW_TEXT ? CVM_IN_TEXT : CVM_IN_DATA);
}

/* The field's value as text; for JSON, whether it is a string. */
static const char *value(const struct cvm_field *fl, const void *row,
			 char *buf, size_t len, bool *string,
			 enum cvm_view_format format)
{
	bool text = format == CVM_VIEW_TEXT;
	const char *p = (const char *)row + fl->offset;
	const char *s;

	*string = false;
	switch (fl->type) {
	case CVM_FIELD_U64:
		snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)p);
		return buf;
	case CVM_FIELD_I64:
		snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
		return buf;
	case CVM_FIELD_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)p);
		return buf;
	case CVM_FIELD_I32:
		snprintf(buf, len, "%d", *(const int32_t *)p);
		return buf;
	case CVM_FIELD_PCT:
		snprintf(buf, len, "%.1f", *(const double *)p);
		return buf;
	case CVM_FIELD_F64:
		snprintf(buf, len, text ? "%.1f" : "%.3f", *(const double *)p);
		return buf;
	case CVM_FIELD_F3:
		snprintf(buf, len, "%.3f", *(const double *)p);
		return buf;
	case CVM_FIELD_F3_OPT:
		if (isnan(*(const double *)p))
			return text ? "-" : format == CVM_VIEW_JSON ? "null" : "";
		snprintf(buf, len, "%.3f", *(const double *)p);
		return buf;
	case CVM_FIELD_STR:
		s = *(const char *const *)p;
		*string = true;
		return s ? s : "-";
	}
	return "";
}

void cvm_view_header(const struct cvm_view *v)
{
	size_t i, last = 0;

	for (i = 0; i < v->nr; i++)
		if (shown(v, &v->fields[i]))
			last = i;
	if (v->format == CVM_VIEW_JSON)
		return;
	for (i = 0; i < v->nr; i++) {
		const struct cvm_field *fl = &v->fields[i];

		if (!shown(v, fl))
			continue;
		if (v->format == CVM_VIEW_CSV) {
			cvm_csv_field(v->f, fl->name, i == last);
			continue;
		}
		fprintf(v->f, "%s%*s", fl->sep ? fl->sep : "", fl->width,
			fl->heading);
		if (i == last)
			fputc('\n', v->f);
	}
}

void cvm_view_row(const struct cvm_view *v, const void *row)
{
	size_t i, last = 0;
	bool first = true;

	for (i = 0; i < v->nr; i++)
		if (shown(v, &v->fields[i]))
			last = i;
	for (i = 0; i < v->nr; i++) {
		const struct cvm_field *fl = &v->fields[i];
		char buf[64], pct[72];
		const char *s;
		bool string;

		if (!shown(v, fl))
			continue;
		s = value(fl, row, buf, sizeof(buf), &string, v->format);
		switch (v->format) {
		case CVM_VIEW_CSV:
			cvm_csv_field(v->f, s, i == last);
			break;
		case CVM_VIEW_JSON:
			fprintf(v->f, "%s\"%s\":", first ? "{" : ",", fl->name);
			if (string)
				cvm_json_string(v->f, s);
			else
				fputs(s, v->f);
			if (i == last)
				fputs("}\n", v->f);
			break;
		case CVM_VIEW_TEXT:
			if (fl->type == CVM_FIELD_PCT) {
				snprintf(pct, sizeof(pct), "%s%%", s);
				s = pct;
			}
			fprintf(v->f, "%s%*s", fl->sep ? fl->sep : "",
				fl->width, s);
			if (i == last)
				fputc('\n', v->f);
			break;
		}
		first = false;
	}
}
