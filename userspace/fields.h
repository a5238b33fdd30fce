/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fields: one description of a command's output fields drives its text
 * table, its CSV and its JSON lines (show, show --by haltpoll, status,
 * top, and record's columns in rows.c).  A field's name is its CSV column
 * and JSON key, the member's name in the command's row struct: cvmstat(8),
 * OUTPUT, keeps them; append only.
 */
#ifndef CVMSTAT_FIELDS_H
#define CVMSTAT_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cvm_view_format { CVM_VIEW_TEXT, CVM_VIEW_CSV, CVM_VIEW_JSON };

enum cvm_field_type {
	CVM_FIELD_U64,		/* uint64_t */
	CVM_FIELD_I64,		/* int64_t */
	CVM_FIELD_U32,		/* uint32_t */
	CVM_FIELD_I32,		/* int32_t */
	CVM_FIELD_STR,		/* const char *, NULL prints as "-" */
	CVM_FIELD_PCT,		/* double, a share in percent: 12.5 */
	CVM_FIELD_F64,		/* double: 1 decimal in text, 3 in CSV and JSON */
	CVM_FIELD_F3,		/* double: 3 decimals everywhere */
	CVM_FIELD_F3_OPT,	/* the same, NaN: none ("-", empty, null) */
};

/* Where a field is printed. */
#define CVM_IN_TEXT	1U
#define CVM_IN_DATA	2U	/* CSV and JSON */
#define CVM_IN_ALL	(CVM_IN_TEXT | CVM_IN_DATA)

struct cvm_field {
	const char *name;	/* CSV column, JSON key */
	enum cvm_field_type type;
	size_t offset;		/* in the command's row struct */
	unsigned int in;	/* CVM_IN_* */
	/* text: the heading, its width (negative: left-aligned; 0: as is,
	 * for the last column) and the blanks before it */
	const char *heading;
	int width;
	const char *sep;
};

#define CVM_FIELD(type_, st, member, in_, heading_, width_, sep_) \
	{ #member, type_, offsetof(st, member), in_, heading_, width_, sep_ }

struct cvm_view {
	FILE *f;
	enum cvm_view_format format;
	const struct cvm_field *fields;
	size_t nr;
};

/* --format ARG: text, csv, json.  0, or -1 for anything else. */
int cvm_view_parse(const char *arg, enum cvm_view_format *format);

/* The text headings or the CSV header row; nothing for JSON. */
void cvm_view_header(const struct cvm_view *v);

/* One row: a text line, a CSV record or a JSON object on one line. */
void cvm_view_row(const struct cvm_view *v, const void *row);

#endif /* CVMSTAT_FIELDS_H */
