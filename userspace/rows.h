/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rows: the recorder's output, one row per counter delta, as CSV (RFC 4180
 * quoting through libcsv) or JSON lines with the same fields.  The columns
 * are the members of struct cvm_row, described once in rows.c's field table
 * (fields.h), which writes the header, the CSV and the JSON alike.  Their
 * names and order are an interface (cvmstat(8), OUTPUT): append only.
 */
#ifndef CVMSTAT_ROWS_H
#define CVMSTAT_ROWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fields.h"

struct cvm_row {
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	const char *time;	/* the same as wall time: cvm_out_row sets it */
	uint64_t phase_seq;	/* mark that started the phase, 0: none */
	const char *phase;	/* its name, "-" before any mark */
	uint64_t vm_id;
	int32_t pid;
	uint32_t vcpu;
	const char *kind;
	uint64_t key;		/* decimal in both formats: one type for all readers */
	const char *dir;	/* "read", "write", "-" */
	const char *name;
	uint64_t count;
	/* record --latency only: a lat_bucket row's bounds, else 0 and 0 */
	uint64_t lo_ns;		/* lowest time in the bucket */
	uint64_t hi_ns;		/* first time above it */
};

/*
 * record's columns: the fields of struct cvm_row, in order; the first
 * cvm_row_nr_base of them unless the recording has exit-handling times
 */
extern const struct cvm_field cvm_row_fields[];
extern const size_t cvm_row_nr_fields, cvm_row_nr_base;

struct cvm_out {
	struct cvm_view view;	/* cvm_row_fields to the file, CSV or JSON */
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, for the wall-clock column */
	int64_t wall_offset_ns;
	int sync;		/* fdatasync() on every flush (regular files) */
	/* the time column of the last row, kept: a read's rows share it */
	bool iso_valid;
	uint64_t iso_ns;
	char iso[48];
};

/*
 * Sets up @o to write to @f as CSV or JSON lines (CVM_VIEW_TEXT is not a
 * format of record's); measures the clock offset.
 */
void cvm_out_init(struct cvm_out *o, FILE *f, enum cvm_view_format format);

/* The columns of a recording with exit-handling times (lo_ns, hi_ns). */
void cvm_out_latency(struct cvm_out *o);

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in ns (record's and top's time). */
int64_t cvm_wall_offset_ns(void);

/* The header row (CSV only).  0 or -errno. */
int cvm_out_header(struct cvm_out *o);

/* One row.  0 or -errno (a stream error seen so far). */
int cvm_out_row(struct cvm_out *o, const struct cvm_row *r);

/* Pushes everything written to the file (and the disk).  0 or -errno. */
int cvm_out_flush(struct cvm_out *o);

/* "2026-11-22T10:56:00.123456789Z" for @wall_ns since the epoch. */
int cvm_format_iso8601(char *buf, size_t len, int64_t wall_ns);

/* "read", "write" or "-" for a CVMSTAT_DIR_*. */
const char *cvm_dir_name(unsigned int dir);

#endif /* CVMSTAT_ROWS_H */
