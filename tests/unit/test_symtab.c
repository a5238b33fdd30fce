// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kmod/core/symtab.h: how cvmstat.ko finds kvm_x86_ops
 * and kvm_running_vcpu in kvm.ko's symbol table, which it reads instead of
 * calling kallsyms_lookup_name.  A table is laid out as a loaded module
 * keeps it: st_value holds the address, st_name an offset into strtab.
 * Also run against a real object: this test binary's own .symtab (argv[0]),
 * cross-checked with the addresses the linker gave the same symbols.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/symtab.h"
#include "check.h"

static char strtab[512];
static size_t strtab_len = 1;	/* offset 0 is the empty name */
static Elf64_Sym tab[32];
static unsigned int nr;

static void add(const char *name, unsigned int type, unsigned int bind,
		uint16_t shndx, uint64_t value)
{
	Elf64_Sym *s = &tab[nr++];

	memset(s, 0, sizeof(*s));
	s->st_name = strtab_len;
	strcpy(strtab + strtab_len, name);
	strtab_len += strlen(name) + 1;
	s->st_info = ELF64_ST_INFO(bind, type);
	s->st_shndx = shndx;
	s->st_value = value;
}

static unsigned long find(const char *name, unsigned int type)
{
	return cvm_symtab_find(tab, nr, strtab, name, type);
}

static void synthetic(void)
{
	memset(tab, 0, sizeof(tab[0]));		/* index 0: the null symbol */
	nr = 1;
	add("kvm_x86_ops_update", STT_FUNC, STB_GLOBAL, 1, 0x1000);
	add("kvm_x86_ops", STT_OBJECT, STB_GLOBAL, 3, 0x2000);
	add("kvm_running_vcpu.llvm.8472", STT_OBJECT, STB_LOCAL, 5, 0x38);
	add("svm_get_exit_info", STT_FUNC, STB_LOCAL, 1, 0x3000);
	add("undefined_here", STT_OBJECT, STB_GLOBAL, SHN_UNDEF, 0);
	add("twice", STT_OBJECT, STB_LOCAL, 3, 0x4000);
	add("twice", STT_OBJECT, STB_LOCAL, 3, 0x4008);
	add("only_func", STT_FUNC, STB_GLOBAL, 1, 0x5000);
	add("kvm_x86", STT_OBJECT, STB_GLOBAL, 3, 0x6000);

	CHECK(find("kvm_x86_ops", STT_OBJECT) == 0x2000,
	      "exact name, not a longer one that starts the same");
	CHECK(find("kvm_x86", STT_OBJECT) == 0x6000,
	      "a shorter name is not matched by a longer symbol");
	CHECK(find("kvm_running_vcpu", STT_OBJECT) == 0x38,
	      "an LTO-promoted local (.llvm. suffix) is found");
	CHECK(find("kvm_running", STT_OBJECT) == 0,
	      "no match on a prefix of a symbol");
	CHECK(find("svm_get_exit_info", STT_FUNC) == 0x3000, "a function");
	CHECK(find("svm_get_exit_info", STT_OBJECT) == 0,
	      "the type must match");
	CHECK(find("only_func", STT_OBJECT) == 0, "a function is no object");
	CHECK(find("undefined_here", STT_OBJECT) == 0,
	      "an undefined symbol is not a definition");
	CHECK(find("twice", STT_OBJECT) == 0,
	      "two definitions of one name: refuse rather than guess");
	CHECK(find("absent", STT_OBJECT) == 0, "absent");
	CHECK(find("", STT_OBJECT) == 0, "the null symbol is never found");
	CHECK(cvm_symtab_find(tab, 0, strtab, "kvm_x86_ops", STT_OBJECT) == 0,
	      "an empty table");
	CHECK(cvm_sym_is("a.llvm.1", "a") && !cvm_sym_is("a.llvm", "a") &&
	      !cvm_sym_is("ab", "a") && cvm_sym_is("a", "a"),
	      "cvm_sym_is");
}

/* Symbols the real-object test looks up, with their link-time addresses. */
int cvm_test_object = 42;
static int cvm_test_local_object = 7;

/* The test binary's own symbol table: a real ELF one, from the linker. */
static void real_object(const char *path)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	unsigned int i;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		CHECK(0, "cannot open %s", path);
		return;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		CHECK(0, "cannot map %s", path);
		return;
	}
	eh = map;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *syms;
		const char *str;
		unsigned long base = (unsigned long)&cvm_test_object;
		unsigned long a, b;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		syms = (const void *)((const char *)map + sh[i].sh_offset);
		str = (const char *)map + sh[sh[i].sh_link].sh_offset;
		a = cvm_symtab_find(syms, sh[i].sh_size / sizeof(*syms), str,
				    "cvm_test_object", STT_OBJECT);
		b = cvm_symtab_find(syms, sh[i].sh_size / sizeof(*syms), str,
				    "cvm_test_local_object", STT_OBJECT);
		/* link-time values; the difference survives relocation (PIE) */
		CHECK(a && b, "both objects found in %s's .symtab", path);
		CHECK(a && b && (long)(b - a) ==
		      (long)((unsigned long)&cvm_test_local_object - base),
		      "their values are the linker's addresses");
		CHECK(cvm_symtab_find(syms, sh[i].sh_size / sizeof(*syms), str,
				      "main", STT_OBJECT) == 0 &&
		      cvm_symtab_find(syms, sh[i].sh_size / sizeof(*syms), str,
				      "main", STT_FUNC) != 0,
		      "main is a function, not an object");
		munmap(map, st.st_size);
		return;
	}
	CHECK(0, "%s has no .symtab", path);
	munmap(map, st.st_size);
}

int main(int argc, char **argv)
{
	(void)argc;
	synthetic();
	real_object(argv[0]);
	printf("symtab: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
