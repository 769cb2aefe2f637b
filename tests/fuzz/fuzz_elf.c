/* Fuzz target: the ELF parser of the loader closure. Every input either parses (whole, and the
 * same again from any prefix the parser asks for), asks for more bytes than it was given, or
 * fails with a one-line message; the header parser agrees with the full parser on the fields
 * both fill. */
#include "harden/closure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const qn_elf_info *in)
{
	if (in->n_needed && !in->needed)
		__builtin_trap();
	for (size_t i = 0; i < in->n_needed; i++)
		if (!in->needed[i] || !in->needed[i][0])
			__builtin_trap();
	if (in->interp && !in->interp[0])
		__builtin_trap();
	if (in->elf_class != QN_ELFCLASS32 && in->elf_class != QN_ELFCLASS64)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_elf_info in, hdr;
	qn_error *err = NULL;
	size_t need = 0;
	int rc = qn_elf_parse(data, size, &in, &need, &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	if (rc == QN_ELF_NEED_MORE && need <= size)
		__builtin_trap();
	qn_error_free(err), err = NULL;
	int hrc = qn_elf_header(data, size, &hdr, &err);
	if (hrc < 0 && (!err || !err->msg))
		__builtin_trap();
	qn_error_free(err), err = NULL;
	if (rc == 0) {
		check_info(&in);
		/* a file that parses has a sane header, and both parsers read it alike */
		if (hrc != 0 || hdr.elf_class != in.elf_class || hdr.machine != in.machine || hdr.type != in.type)
			__builtin_trap();
		/* parsing a prefix that holds everything the parser reads: the same or NEED_MORE */
		qn_elf_info again;
		size_t need2 = 0;
		if (size > 1 && qn_elf_parse(data, size - 1, &again, &need2, NULL) == 0) {
			if (again.n_needed != in.n_needed)
				__builtin_trap();
			qn_elf_info_clear(&again);
		}
		qn_elf_info_clear(&in);
	}
	return 0;
}
