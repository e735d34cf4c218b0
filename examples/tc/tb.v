// Plain Verilog testbench of a SPARQ tensor core (no cocotb): examples/tc/README.md.
//
// examples/make_stimulus.py tc writes design.vh (the top and its port widths), stimulus.hex
// (one line per cycle after reset: {in_last, in_first, in_valid, in_c, in_b, in_a}) and
// expected.hex (the golden D = A x B + C of every sweep over K, in order).  The bench holds
// rst for two cycles, drives one line a cycle, compares out_d whenever out_valid is high
// against the next expected tile, and ends with PASS, or with FAIL and $fatal (a non-zero
// exit status).  Plain Verilog-2005: it runs under Icarus (-g2005 and -g2012) and
// under Verilator (--binary).
`timescale 1ns/1ps
`include "design.vh"

module tb;
  localparam ROWS = `ROWS, COLS = `COLS, STEPS = `STEPS, RESULTS = `RESULTS;
  localparam A_W = `A_W, B_W = `B_W, C_W = `C_W, D_W = `D_W, STIM_W = `STIM_W;
  localparam ACC = D_W / (ROWS * COLS);
  localparam DRAIN = `LATENCY + 4;

  reg clk = 1'b0;
  reg rst = 1'b1;
  reg in_valid = 1'b0, in_first = 1'b0, in_last = 1'b0;
  reg [A_W-1:0] in_a = {A_W{1'b0}};
  reg [B_W-1:0] in_b = {B_W{1'b0}};
  reg [C_W-1:0] in_c = {C_W{1'b0}};
  wire out_valid;
  wire [D_W-1:0] out_d;

  `DUT dut (
    .clk(clk), .rst(rst),
    .in_valid(in_valid), .in_first(in_first), .in_last(in_last),
    .in_a(in_a), .in_b(in_b), .in_c(in_c),
    .out_valid(out_valid), .out_d(out_d));

  reg [STIM_W-1:0] stimulus [0:STEPS-1];
  reg [D_W-1:0] expected [0:RESULTS-1];
  integer step = 0, cycle = 0, got = 0, errors = 0, r, n, shown;
  reg [D_W-1:0] want;

  always #5 clk = ~clk;

  initial begin
    $readmemh("stimulus.hex", stimulus);
    $readmemh("expected.hex", expected);
  end

  // Inputs change on the rising edge (non-blocking), so the array samples them one edge later.
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 1) rst <= 1'b0;                       // rst high on the first two edges
    if (cycle >= 2 && step < STEPS) begin
      {in_last, in_first, in_valid, in_c, in_b, in_a} <= stimulus[step];
      step <= step + 1;
    end else if (cycle >= 2) begin
      {in_last, in_first, in_valid} <= 3'b000;
    end
  end

  // Every finished tile, in order; a mismatch names the first element D[r][n] that differs
  // (out_d[r][n] sits at bits [(r * COLS + n) * ACC +: ACC]).
  always @(posedge clk) begin
    if (!rst && out_valid) begin
      if (got >= RESULTS) begin
        $display("FAIL: tile %0d beyond the %0d expected", got, RESULTS);
        errors = errors + 1;
      end else if (out_d !== expected[got]) begin
        want = expected[got];
        shown = 0;
        for (r = 0; r < ROWS; r = r + 1)
          for (n = 0; n < COLS; n = n + 1)
            if (!shown && out_d[(r * COLS + n) * ACC +: ACC] !== want[(r * COLS + n) * ACC +: ACC])
            begin
              $display("FAIL: tile %0d: D[%0d][%0d] = %0d, expected %0d", got, r, n,
                       $signed(out_d[(r * COLS + n) * ACC +: ACC]),
                       $signed(want[(r * COLS + n) * ACC +: ACC]));
              shown = 1;
            end
        errors = errors + 1;
      end
      got = got + 1;
    end
  end

  always @(negedge clk) begin
    if (cycle == 2 + STEPS + DRAIN) begin
      if (got != RESULTS) begin
        $display("FAIL: %0d tiles, expected %0d", got, RESULTS);
        errors = errors + 1;
      end
      if (errors != 0) begin
        $display("FAIL: %0d mismatches in %0d tiles", errors, RESULTS);
        $fatal(1, "the tensor core disagrees with the golden model");
      end else begin
        $display("PASS: %0d tiles (sweeps over K) match the golden model", got);
        $finish;
      end
    end
  end
endmodule
