// SPDX-License-Identifier: GPL-2.0
/*
 * rows: the recorder's output, written from one table of record's fields
 * (cvm_row_fields) by the writer every command's CSV and JSON share
 * (fields.c): CSV fields that need quoting (a comma, a quote, a line break)
 * go through libcsv's RFC 4180 writer, everything else is written bare so
 * numbers stay numbers for pandas and R; JSON lines carry the same fields
 * under the same names.  Here too: the wall clock.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/cvmstat.h>

#include "fields.h"
#include "rows.h"

#define ROW_FIELD(type, member) \
	CVM_FIELD(type, struct cvm_row, member, CVM_IN_DATA, NULL, 0, NULL)
const struct cvm_field cvm_row_fields[] = {
	ROW_FIELD(CVM_FIELD_U64, time_ns),
	ROW_FIELD(CVM_FIELD_STR, time),
	ROW_FIELD(CVM_FIELD_U64, phase_seq),
	ROW_FIELD(CVM_FIELD_STR, phase),
	ROW_FIELD(CVM_FIELD_U64, vm_id),
	ROW_FIELD(CVM_FIELD_I32, pid),
	ROW_FIELD(CVM_FIELD_U32, vcpu),
	ROW_FIELD(CVM_FIELD_STR, kind),
	ROW_FIELD(CVM_FIELD_U64, key),
	ROW_FIELD(CVM_FIELD_STR, dir),
	ROW_FIELD(CVM_FIELD_STR, name),
	ROW_FIELD(CVM_FIELD_U64, count),
	/* record --latency */
	ROW_FIELD(CVM_FIELD_U64, lo_ns),
	ROW_FIELD(CVM_FIELD_U64, hi_ns),
};
const size_t cvm_row_nr_fields =
	sizeof(cvm_row_fields) / sizeof(cvm_row_fields[0]);
const size_t cvm_row_nr_base = 12;

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t cvm_wall_offset_ns(void)
{
	int64_t mono = clock_ns(CLOCK_MONOTONIC);
	int64_t wall = clock_ns(CLOCK_REALTIME);

	/* Both clocks read close together: the midpoint error is ~ns. */
	return wall - (mono + clock_ns(CLOCK_MONOTONIC)) / 2;
}

void cvm_out_init(struct cvm_out *o, FILE *f, enum cvm_view_format format)
{
	struct stat st;

	o->view = (struct cvm_view){
		.f = f, .format = format,
		.fields = cvm_row_fields, .nr = cvm_row_nr_base,
	};
	o->wall_offset_ns = cvm_wall_offset_ns();
	o->iso_valid = false;
	o->sync = !fstat(fileno(f), &st) && S_ISREG(st.st_mode);
}

void cvm_out_latency(struct cvm_out *o)
{
	o->view.nr = cvm_row_nr_fields;
}

const char *cvm_dir_name(unsigned int dir)
{
	return dir == CVMSTAT_DIR_READ ? "read" :
	       dir == CVMSTAT_DIR_WRITE ? "write" : "-";
}

int cvm_format_iso8601(char *buf, size_t len, int64_t wall_ns)
{
	time_t sec = wall_ns / 1000000000LL;
	long nsec = wall_ns % 1000000000LL;
	struct tm tm;
	size_t n;

	if (nsec < 0) {
		nsec += 1000000000L;
		sec--;
	}
	if (!gmtime_r(&sec, &tm))
		return snprintf(buf, len, "-");
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!n)
		return snprintf(buf, len, "-");
	return n + snprintf(buf + n, len - n, ".%09ldZ", nsec);
}

static int stream_error(FILE *f)
{
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

int cvm_out_header(struct cvm_out *o)
{
	cvm_view_header(&o->view);	/* CSV only: JSON lines have none */
	return stream_error(o->view.f);
}

int cvm_out_row(struct cvm_out *o, const struct cvm_row *r)
{
	struct cvm_row row = *r;

	/* a read's rows share its time: format it once */
	if (!o->iso_valid || o->iso_ns != r->time_ns) {
		cvm_format_iso8601(o->iso, sizeof(o->iso),
				   (int64_t)r->time_ns + o->wall_offset_ns);
		o->iso_ns = r->time_ns;
		o->iso_valid = true;
	}
	row.time = o->iso;
	cvm_view_row(&o->view, &row);
	return stream_error(o->view.f);
}

int cvm_out_flush(struct cvm_out *o)
{
	if (fflush(o->view.f))
		return -(errno ? errno : EIO);
	if (o->sync && fdatasync(fileno(o->view.f)) && errno != EINVAL)
		return -errno;
	return stream_error(o->view.f);
}
