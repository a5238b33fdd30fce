// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the halt-polling core (kmod/core/haltpoll.h), the code
 * the kvm_vcpu_wakeup and kvm_halt_poll_ns probes run.  A model of KVM's
 * kvm_vcpu_halt (virt/kvm/kvm_main.c: cap the window, poll, wait, grow or
 * shrink, then the events, with KVM's own statistics) drives it, so every
 * figure is checked exactly against what KVM itself would have counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include "core/counters.h"
#include "check.h"

#define EXPECT(got, want)						\
	CHECK((got) == (want), "%s = %llu, want %llu", #got,		\
	      (unsigned long long)(got), (unsigned long long)(want))

/* KVM's side: one vCPU's window and statistics, the VM's parameters. */
struct kvm_model {
	u32 window;		/* vcpu->halt_poll_ns */
	u32 max;		/* kvm_vcpu_max_halt_poll_ns() */
	u32 grow, grow_start, shrink;
	bool guest_off;
	struct cvm_hp_kvm st;
	/* what the events told, for comparison */
	u64 halts, grows, shrinks, polls_ok, polls_fail, not_polled;
	u32 max_window;		/* largest window in force at a poll */
};

/* cvmstat's side: the slot. */
static struct cvm_counts counts;
static struct cvm_hp_owner owner;
static struct cvm_hp_counts *c = &counts.hp;

static void model_init(struct kvm_model *m, u32 max, u32 shrink)
{
	memset(m, 0, sizeof(*m));
	m->max = max;
	m->grow = 2;
	m->grow_start = 10000;
	m->shrink = shrink;
	memset(&counts, 0, sizeof(counts));
	cvm_hp_owner_init(&owner, &m->st, m->window, m->guest_off);
}

static void adapt(struct kvm_model *m, bool grow)
{
	u32 old = m->window, val = old;

	if (grow) {
		if (m->grow) {
			val *= m->grow;
			if (val < m->grow_start)
				val = m->grow_start;
		}
		m->grows++;
	} else {
		val = m->shrink ? val / m->shrink : 0;
		if (val < m->grow_start)
			val = 0;
		m->shrinks++;
	}
	m->window = val;
	cvm_hp_on_adapt(c, &owner, grow, val, old);	/* kvm_halt_poll_ns */
}

/* One halt whose wakeup comes @wake_ns after it starts. */
static void halt(struct kvm_model *m, u64 wake_ns)
{
	bool poll, waited;
	u64 halt_ns = wake_ns;

	if (m->window > m->max)
		m->window = m->max;
	poll = !m->guest_off && m->window;
	if (poll) {
		m->st.attempted++;
		if (m->window > m->max_window)
			m->max_window = m->window;
		if (wake_ns <= m->window) {
			waited = false;
			m->st.successful++;
			m->st.poll_ok_ns += wake_ns;
			m->polls_ok++;
		} else {
			waited = true;
			m->st.poll_fail_ns += m->window;
			m->st.wait_ns += wake_ns - m->window;
			m->polls_fail++;
		}
	} else {
		waited = true;
		m->st.wait_ns += wake_ns;
		m->not_polled++;
	}
	(void)waited;
	if (!m->guest_off) {
		if (m->max) {
			if (halt_ns <= m->window)
				;
			else if (m->window && halt_ns > m->max)
				adapt(m, false);
			else if (m->window < m->max && halt_ns < m->max)
				adapt(m, true);
		} else {
			m->window = 0;
		}
	}
	m->halts++;
	cvm_hp_on_wakeup(c, &owner, &m->st, halt_ns, true, m->window,
			 m->guest_off);
}

static struct cvmstat_record recs[256];
static unsigned int nr_recs;

static void emit(bool state)
{
	nr_recs = cvm_hp_emit(c, 7, state, recs);
	CHECK(nr_recs <= cvm_hp_max_records(), "emit within its bound");
}

static u64 get(unsigned int kind, u64 key)
{
	unsigned int i, seen = 0;
	u64 v = 0;

	for (i = 0; i < nr_recs; i++) {
		if (recs[i].kind == kind && recs[i].key == key) {
			v = recs[i].count;
			seen++;
		}
		CHECK(recs[i].vcpu_id == 7 && recs[i].count, "record %u", i);
	}
	CHECK(seen <= 1, "kind %u key %llu twice", kind,
	      (unsigned long long)key);
	return v;
}

static u64 sum_kind(unsigned int kind, u64 *max_key)
{
	unsigned int i;
	u64 s = 0;

	*max_key = 0;
	for (i = 0; i < nr_recs; i++) {
		if (recs[i].kind != kind)
			continue;
		s += recs[i].count;
		if (recs[i].key > *max_key)
			*max_key = recs[i].key;
	}
	return s;
}

#define STAT(k)	get(CVMSTAT_KIND_HALT, CVMSTAT_HALT_##k)

/* Everything cvmstat says agrees with KVM's model. */
static void check_against(const struct kvm_model *m)
{
	u64 hist, wins, max_key;

	emit(true);
	EXPECT(STAT(HALTS), m->halts);
	EXPECT(STAT(POLL_OK), m->polls_ok);
	EXPECT(STAT(POLL_FAIL), m->polls_fail);
	EXPECT(STAT(NOT_POLLED), m->not_polled);
	EXPECT(STAT(POLL_OK) + STAT(POLL_FAIL) + STAT(NOT_POLLED), STAT(HALTS));
	EXPECT(STAT(POLL_OK_NS), m->st.poll_ok_ns);
	EXPECT(STAT(POLL_FAIL_NS), m->st.poll_fail_ns);
	EXPECT(STAT(WAIT_NS), m->st.wait_ns);
	EXPECT(STAT(GROW), m->grows);
	EXPECT(STAT(SHRINK), m->shrinks);
	EXPECT(STAT(INVALID), 0);
	hist = sum_kind(CVMSTAT_KIND_HALT_HIST, &max_key);
	EXPECT(hist, m->halts);
	wins = sum_kind(CVMSTAT_KIND_HALT_WINDOW, &max_key);
	EXPECT(wins + STAT(WINDOW_OVERFLOW), m->polls_ok + m->polls_fail);
	EXPECT(max_key, m->max_window);
	EXPECT(get(CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_WINDOW),
	       m->window);
}

/* Timer 1 ms, window up to 200 us: every poll fails, the window shrinks. */
static void test_long_halts(void)
{
	struct kvm_model m;
	int i;

	model_init(&m, 200000, 2);
	for (i = 0; i < 100; i++)
		halt(&m, 1000000);
	check_against(&m);
	/* never grown: the halts are longer than the max */
	EXPECT(m.grows, 0);
	EXPECT(STAT(NOT_POLLED), 100);
	EXPECT(get(CVMSTAT_KIND_HALT_HIST, 19), 100);	/* 2^19 <= 1e6 < 2^20 */
	EXPECT(STAT(NS), 100000000);
}

/* Timer 50 us, max 1 ms: the window grows to 80 us, then every poll works. */
static void test_short_halts(void)
{
	struct kvm_model m;
	int i;

	model_init(&m, 1000000, 2);
	for (i = 0; i < 100; i++)
		halt(&m, 50000);
	check_against(&m);
	EXPECT(m.grows, 4);		/* 0 -> 10k -> 20k -> 40k -> 80k */
	EXPECT(STAT(POLL_OK), 96);
	EXPECT(STAT(POLL_FAIL), 3);	/* 10k, 20k, 40k were too short */
	EXPECT(STAT(NOT_POLLED), 1);	/* the first, with window 0 */
	EXPECT(get(CVMSTAT_KIND_HALT_WINDOW, 80000), 96);
	EXPECT(get(CVMSTAT_KIND_HALT_WINDOW, 10000), 1);
}

/*
 * A window grown past a smaller max is capped at the next halt without an
 * event: the window in force, not the grown value, is what is counted.
 */
static void test_cap(void)
{
	struct kvm_model m;
	int i;

	model_init(&m, 100000, 2);
	for (i = 0; i < 50; i++)
		halt(&m, 90000);
	check_against(&m);
	EXPECT(m.max_window, 100000);	/* 80k grew to 160k, capped at 100k */
	EXPECT(get(CVMSTAT_KIND_HALT_WINDOW, 160000), 0);
	EXPECT(get(CVMSTAT_KIND_HALT_WINDOW, 100000), 45);
	/* the max goes to 0 (halt_poll_ns=0): no poll at all from then on */
	m.max = 0;
	for (i = 0; i < 20; i++)
		halt(&m, 90000);
	check_against(&m);
	EXPECT(STAT(NOT_POLLED), 1 + 20);
	EXPECT(m.window, 0);
}

/* The guest switches polling off: no poll, counted as its opt-out. */
static void test_guest_off(void)
{
	struct kvm_model m;
	int i;

	model_init(&m, 1000000, 2);
	for (i = 0; i < 10; i++)
		halt(&m, 50000);
	m.guest_off = true;
	CHECK(cvm_hp_on_guest(c, &owner, true, 12345), "change seen");
	CHECK(!cvm_hp_on_guest(c, &owner, true, 23456), "seen once");
	for (i = 0; i < 10; i++)
		halt(&m, 50000);
	check_against(&m);
	EXPECT(STAT(NO_POLL_GUEST), 10);
	EXPECT(STAT(GUEST_OFF), 1);
	EXPECT(STAT(GUEST_ON), 0);
	EXPECT(get(CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_GUEST_OFF), 1);
	EXPECT(get(CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_GUEST_NS),
	       12345);
	m.guest_off = false;
	CHECK(cvm_hp_on_guest(c, &owner, false, 34567), "back on");
	halt(&m, 50000);
	check_against(&m);
	EXPECT(STAT(GUEST_ON), 1);
	EXPECT(get(CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_GUEST_OFF), 0);
}

/*
 * KVM's statistics before the slot existed are not counted; after a reset
 * of the counters the state values come back; KVM's statistics cleared
 * through debugfs count from zero again.
 */
static void test_baseline_reset(void)
{
	struct kvm_model m;
	struct cvm_stats s = { 0 };
	int i;

	model_init(&m, 1000000, 2);
	for (i = 0; i < 30; i++)
		halt(&m, 50000);
	/* a new slot for a vCPU that halted before: its baseline */
	memset(&counts, 0, sizeof(counts));
	cvm_hp_owner_init(&owner, &m.st, m.window, false);
	halt(&m, 50000);
	emit(false);
	EXPECT(STAT(HALTS), 1);
	EXPECT(STAT(POLL_OK), 1);
	EXPECT(STAT(POLL_OK_NS), 50000);
	EXPECT(get(CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_WINDOW), 0);
	/* a reset zeroes everything; the owner puts the state back */
	s.c = counts;
	cvm_stats_request_reset(&s);
	cvm_apply_reset(&s);
	counts = s.c;
	emit(true);
	EXPECT(nr_recs, 0);
	cvm_hp_restate(c, &owner);
	emit(true);
	EXPECT(nr_recs, 1);
	EXPECT(get(CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_WINDOW), 80000);
	/* debugfs clear: KVM's counters restart from 0 */
	memset(&m.st, 0, sizeof(m.st));
	halt(&m, 50000);
	emit(false);
	EXPECT(STAT(POLL_OK), 1);
	EXPECT(STAT(POLL_OK_NS), 50000);
}

/* More distinct windows than the table holds go to the overflow count. */
static void test_window_overflow(void)
{
	unsigned int i;
	u64 max_key;

	memset(&counts, 0, sizeof(counts));
	for (i = 1; i <= CVM_HP_WIN_SLOTS + 5; i++) {
		cvm_hp_window_insert(c, i * 1000);
		cvm_hp_window_insert(c, i * 1000);
	}
	emit(false);
	EXPECT(sum_kind(CVMSTAT_KIND_HALT_WINDOW, &max_key),
	       2 * CVM_HP_WIN_SLOTS);
	EXPECT(STAT(WINDOW_OVERFLOW), 10);
}

static void test_source(void)
{
	struct cvm_hp_vm v = { 0 };

	EXPECT(cvm_hp_source(&v, false, 5), CVMSTAT_HP_SRC_GLOBAL);
	EXPECT(cvm_hp_source(&v, true, 5), CVMSTAT_HP_SRC_VMM);
	v.ours = true;
	v.our_max = 5;
	EXPECT(cvm_hp_source(&v, true, 5), CVMSTAT_HP_SRC_CVMSTAT);
	EXPECT(cvm_hp_source(&v, true, 6), CVMSTAT_HP_SRC_VMM);
	EXPECT(cvm_hp_source(&v, false, 5), CVMSTAT_HP_SRC_GLOBAL);
	EXPECT(cvm_hp_value(false, 5), CVMSTAT_HP_GLOBAL);
	EXPECT(cvm_hp_value(true, 0), 0);
	EXPECT(cvm_hp_log2(0), 0);
	EXPECT(cvm_hp_log2(1), 0);
	EXPECT(cvm_hp_log2(1024), 10);
	EXPECT(cvm_hp_log2(~0ULL), 63);
}

int main(void)
{
	test_long_halts();
	test_short_halts();
	test_cap();
	test_guest_off();
	test_baseline_reset();
	test_window_overflow();
	test_source();
	printf("haltpoll: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
