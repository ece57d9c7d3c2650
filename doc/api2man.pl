#!/usr/bin/perl
# api2man.pl: the man pages (section 3) of libsrcu, made from doc/api.md,
# their one source.  Run by the build (doc/CMakeLists.txt); needs nothing
# but perl.
#
#   perl doc/api2man.pl API_MD OUTDIR VERSION
#
# Writes OUTDIR/man3/:
#   srcu.3       the overview: the sections of api.md that are not about
#                one call (conventions, the rules, the switches, ...), and
#                the list of pages
#   NAME.3       one page per entry of api.md whose heading names calls,
#                macros or types ("### srcu_read_lock(), srcu_read_unlock()"),
#                named after the first; SYNOPSIS is the entry's first code
#                block, EXAMPLES its example, DESCRIPTION the rest
#   OTHER.3      ".so man3/NAME.3" for every other name in such a heading
# and OUTDIR/pages.txt, every page written, one name a line.
#
# Markdown understood: headings (## and ###), paragraphs, "- " and "1. "
# lists with indented continuation lines, ``` code blocks, | tables (as tagged
# lists), `code`, **bold**,
# *italics*, [links](targets) (the text stays; a call's page is cited as
# name(3)), and <!-- comments --> (dropped).
use strict;
use warnings;

@ARGV == 3 or die "usage: $0 API_MD OUTDIR VERSION\n";
my ($api_md, $outdir, $version) = @ARGV;

open(my $in, '<:encoding(UTF-8)', $api_md) or die "$api_md: $!\n";
my @lines = <$in>;
close($in);
chomp(@lines);

# Split into sections: the text before the first "## " (level 1), each
# "## " (level 2) and each "### " (level 3), with the lines under it.
my @sections = ({ level => 1, title => '', body => [] });
for my $line (@lines) {
	if ($line =~ /^(##|###) (.*)$/) {
		push @sections, { level => length($1), title => $2, body => [] };
	} else {
		push @{ $sections[-1]{body} }, $line;
	}
}

# The API names a heading lists, or none if it is prose ("Deadlock rules").
sub heading_names {
	my ($title) = @_;
	my @names;
	for my $item (split /,\s*/, $title) {
		# A call, a struct, or an identifier no prose word looks like.
		my $api = $item =~ s/^struct\s+// | $item =~ s/\(\)$// | $item =~ /_|::/;
		return () unless $api && $item =~ /^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*$/;
		push @names, $item;
	}
	return @names;
}

# Which ### sections are pages, and every name that has a page.
my %page_of;	# name -> the page it is (or links to)
for my $s (@sections) {
	next unless $s->{level} == 3;
	my @names = heading_names($s->{title});
	next unless @names;
	$s->{names} = \@names;
	for my $n (@names) {
		die "$api_md: '$n' is named by two headings\n" if exists $page_of{$n};
		$page_of{$n} = $names[0];
	}
}
$page_of{srcu} = 'srcu';

# Inline markdown to roff, for text that is not in a code block.
sub inline {
	my ($text, $refs) = @_;
	my $out = '';
	# Links: keep the text.
	$text =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;
	for my $part (split /(`[^`]*`)/, $text) {
		if ($part =~ /^`(.*)`$/) {
			my $code = $1;
			# \% : identifiers are not hyphenated.
			if ($code =~ /^([A-Za-z_][A-Za-z0-9_:]*)\(\)$/ && exists $page_of{$1}) {
				$refs->{$1}++ if $refs;
				$out .= '\fB\%' . esc_code($1) . '\fR(3)';
			} else {
				$out .= '\fB\%' . esc_code($code) =~ s/ / \\%/gr . '\fR';
			}
			next;
		}
		$part = esc_text($part);
		$part =~ s/\*\*(.+?)\*\*/\\fB$1\\fR/g;
		$part =~ s/(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])/\\fI$1\\fR/g;
		$out .= $part;
	}
	return $out;
}

sub esc_text {
	my ($t) = @_;
	$t =~ s/\\/\\e/g;
	$t =~ s/\x{b5}/\\(mc/g;
	return $t;
}

sub esc_code {
	my ($t) = @_;
	$t = esc_text($t);
	$t =~ s/-/\\-/g;
	$t =~ s/'/\\(aq/g;
	return $t;
}

# A line of roff text must not start with a control character.
sub text_line {
	my ($t) = @_;
	$t =~ s/^\s+//;
	$t = "\\&$t" if $t =~ /^[.']/;
	return "$t\n";
}

sub plain {
	my ($t) = @_;
	$t =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;
	$t =~ s/[`*]//g;
	return $t;
}

# A line of a code block: tabs expanded, spaces kept.
sub code_line {
	my ($l) = @_;
	1 while $l =~ s/^([^\t]*)\t/$1 . ' ' x (8 - length($1) % 8)/e;
	return "\\&\n" if $l eq '';
	$l = esc_code($l);
	return ($l =~ /^[.']/ ? "\\&$l" : $l) . "\n";
}

sub code_block {
	my (@code) = @_;
	return ".PP\n.RS 4\n.nf\n" . join('', map { code_line($_) } @code) . ".fi\n.RE\n";
}

# A table, as a tagged list: the first cell is the tag; the others follow
# under it, each after its column's name (the last one alone when its
# name is a sentence, which then heads the list).  No tbl: the tables are
# too wide for a terminal's columns.
sub table {
	my ($rows, $refs) = @_;
	my @rows = map {
		my $r = $_;
		$r =~ s/^\s*\|//;
		$r =~ s/\|\s*$//;
		[ map { s/^\s+|\s+$//gr =~ s/\\\|/|/gr } split /(?<!\\)\|/, $r ]
	} @$rows;
	my $head = shift @rows;
	shift @rows if @rows && $rows[0][0] =~ /^:?-+:?$/;
	my $n = @$head;
	my $last_alone = $n == 2 || length(plain($head->[-1])) > 24;
	my $out = '';
	$out .= ".PP\n" . text_line(inline("$head->[-1]:", $refs)) if $n > 2 && $last_alone;
	for my $r (@rows) {
		my @cells = map { inline($r->[$_] // '', $refs) } 0 .. $n - 1;
		$out .= ".TP\n" . text_line($cells[0]);
		my @under;
		for my $c (1 .. $n - 1) {
			next if $cells[$c] eq '';
			push @under, ($c == $n - 1 && $last_alone) ? $cells[$c]
				   : inline("$head->[$c]: ", $refs) . $cells[$c];
		}
		$out .= join(".br\n", map { text_line($_) } @under);
	}
	return $out;
}

# Markdown lines to roff.  $refs collects the pages cited.
sub body {
	my ($lines, $refs) = @_;
	my $out = '';
	my @l = @$lines;
	while (@l) {
		my $line = shift @l;
		if ($line =~ /^\s*$/) {
			next;
		} elsif ($line =~ /^<!--/) {
			$line = shift @l while $line !~ /-->/ && @l;	# to the comment's end
			next;
		} elsif ($line =~ /^```/) {
			my @code;
			while (@l && $l[0] !~ /^```/) {
				push @code, shift @l;
			}
			shift @l;
			$out .= code_block(@code);
		} elsif ($line =~ /^\s*\|/) {
			my @rows = ($line);
			push @rows, shift @l while @l && $l[0] =~ /^\s*\|/;
			$out .= table(\@rows, $refs);
		} elsif ($line =~ /^(\s*)(-|\d+\.) (.*)$/) {
			my ($mark, $text) = ($2, $3);
			while (@l && $l[0] =~ /^\s+\S/ && $l[0] !~ /^\s*(-|\d+\.) /) {
				$text .= ' ' . (shift @l) =~ s/^\s+//r;
			}
			my $tag = $mark eq '-' ? '\(bu 2' : "$mark 4";
			$out .= ".IP $tag\n" . text_line(inline($text, $refs));
		} else {
			my $text = $line;
			while (@l && $l[0] !~ /^\s*$/ && $l[0] !~ /^(```|\s*\||\s*(-|\d+\.) |<!--)/) {
				$text .= ' ' . shift @l;
			}
			$out .= ".PP\n" . text_line(inline($text, $refs));
		}
	}
	return $out;
}

# Ragged right (.ad l): identifiers are long and never hyphenated, and
# justified lines of them stretch badly.
sub header {
	my ($name) = @_;
	return ".TH \"" . uc($name) . "\" 3 \"\" \"libsrcu $version\" \"libsrcu\"\n.ad l\n";
}

sub see_also {
	my ($self, $refs) = @_;
	my @see = grep { $_ ne $self } sort keys %$refs;
	unshift @see, 'srcu' unless $self eq 'srcu';
	my %seen;
	@see = grep { !$seen{$_}++ } @see;
	return ".SH SEE ALSO\n" . join(",\n", map { "\\fB\\%" . esc_code($_) . "\\fR(3)" } @see) . "\n";
}

mkdir $outdir;
mkdir "$outdir/man3";
my @written;

sub write_page {
	my ($name, $text) = @_;
	my $file = "$outdir/man3/$name.3";
	open(my $out, '>:encoding(UTF-8)', $file) or die "$file: $!\n";
	print $out $text;
	close($out) or die "$file: $!\n";
	push @written, $name;
}

# One page per entry that names calls.
my %group_pages;	# ## title -> [pages]
my @group_order;
my $group = '';
for my $s (@sections) {
	if ($s->{level} == 2) {
		$group = $s->{title};
		next;
	}
	next unless $s->{names};
	my @names = @{ $s->{names} };
	my $name = $names[0];
	push @group_order, $group unless $group_pages{$group};
	push @{ $group_pages{$group} }, $name;

	# The synopsis is the first code block; the example follows its marker.
	my (@synopsis, @desc, @example, @notes);
	my @b = @{ $s->{body} };
	my $where = \@desc;
	my $in_code = 0;
	my $synopsis_done = 0;
	for (my $i = 0; $i < @b; $i++) {
		my $line = $b[$i];
		if (!$synopsis_done && !$in_code && $line =~ /^```/ && !grep { /\S/ } @desc) {
			$i++;
			push @synopsis, $b[$i++] while $i < @b && $b[$i] !~ /^```/;
			$synopsis_done = 1;
			next;
		}
		if ($line =~ /^<!-- example: /) {
			$i++ while $i < @b && $b[$i] !~ /^```/;
			$i++;
			push @example, $b[$i++] while $i < @b && $b[$i] !~ /^```/;
			$where = \@notes;
			next;
		}
		$in_code = !$in_code if $line =~ /^```/;
		push @$where, $line;
	}

	my %refs;
	my $desc = body(\@desc, \%refs);
	my $notes = body(\@notes, \%refs);
	my ($first) = grep { /\S/ && !/^(```|\s*\||<!--)/ } @desc;
	my $summary = '';
	if (defined $first) {
		my $i = 0;
		$i++ while $desc[$i] ne $first;
		my $para = $first;
		$para .= ' ' . $desc[++$i] while $i + 1 < @desc && $desc[$i + 1] =~ /\S/ && $desc[$i + 1] !~ /^(```|\s*\||\s*- )/;
		# The first sentence; if long, its first clause.
		$summary = plain($para);
		$summary =~ s/(?<=[.?])\s.*$//s;
		$summary =~ s/[:;]\s.*$//s if length($summary) > 100;
		$summary =~ s/\.$//;
		$summary = lcfirst($summary) if $summary =~ /^[A-Z][a-z ]/;
	}

	my $text = header($name);
	$text .= ".SH NAME\n" . join(', ', map { '\%' . esc_code($_) } @names) . " \\- " . esc_text($summary) . "\n";
	$text .= ".SH SYNOPSIS\n.nf\n";
	if ($name =~ /::/) {
		$text .= ".B #include <srcu.hpp>\n";
	} else {
		$text .= ".B #include <srcu.h>\n";
	}
	$text .= ".PP\n" . join('', map { code_line($_) } @synopsis) if @synopsis;
	$text .= ".fi\n.PP\nLink with \\fIpkg\\-config \\-\\-libs srcu\\-tree\\fR (or srcu\\-tiny), or CMake's \\fBsrcu::tree\\fR (\\fBsrcu::tiny\\fR).\n";
	$text .= ".SH DESCRIPTION\n$desc";
	$text .= ".SH EXAMPLES\n" . code_block(@example) if @example;
	$text .= ".SH NOTES\n$notes" if $notes ne '';
	$text .= see_also($name, \%refs);
	write_page($name, $text);
	write_page($_, ".so man3/$name.3\n") for @names[1 .. $#names];
}

# The overview: everything that is not a call's page.
{
	my %refs;
	my $text = '';
	my @intro = @{ $sections[0]{body} };
	# The document's own title and its table of contents are not prose.
	@intro = grep { !/^# / } @intro;
	my @kept;
	my $skip = 0;
	for my $l (@intro) {
		$skip = 1 if $l =~ /^\*\*Contents\*\*/;
		push @kept, $l unless $skip;
	}
	$text .= ".SH DESCRIPTION\n" . body(\@kept, \%refs);
	my $level2 = '';
	for my $s (@sections[1 .. $#sections]) {
		if ($s->{level} == 2) {
			$level2 = $s->{title};
			$text .= ".SH " . esc_text(uc(plain($s->{title}))) . "\n" . body($s->{body}, \%refs);
			if ($group_pages{$level2}) {
				$text .= ".PP\nPages: " . join(', ', map { "\\fB\\%" . esc_code($_) . "\\fR(3)" } @{ $group_pages{$level2} }) . ".\n";
			}
			next;
		}
		next if $s->{names};
		$text .= ".SS " . esc_text(plain($s->{title})) . "\n" . body($s->{body}, \%refs);
	}
	my $page = header('srcu')
		. ".SH NAME\nsrcu \\- sleepable RCU in userspace, with the Linux kernel's API (libsrcu)\n"
		. ".SH SYNOPSIS\n.nf\n.B #include <srcu.h>\n.fi\n.PP\n"
		. "Link with \\fIpkg\\-config \\-\\-cflags \\-\\-libs srcu\\-tree\\fR (or srcu\\-tiny), or CMake's\n"
		. "\\fBfind_package(srcu)\\fR and \\fBsrcu::tree\\fR (\\fBsrcu::tiny\\fR).\n"
		. $text
		. ".SH FILES\n"
		. "The documents (README.md, doc/design.md, doc/api.md, ...) and the example programs are\n"
		. "installed in \\fIshare/doc/libsrcu\\fR under the installation prefix.\n";
	my @all = grep { $_ ne 'srcu' } sort keys %page_of;
	$page .= ".SH SEE ALSO\n" . join(",\n", map { "\\fB\\%" . esc_code($_) . "\\fR(3)" } @all) . "\n";
	write_page('srcu', $page);
}

open(my $list, '>', "$outdir/pages.txt") or die "$outdir/pages.txt: $!\n";
print $list map { "$_\n" } sort @written;
close($list) or die "$outdir/pages.txt: $!\n";
