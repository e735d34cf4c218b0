// Plain Verilog testbench of a SPARQ systolic array (no cocotb): examples/sa/README.md.
//
// examples/make_stimulus.py sa writes design.vh (the top and its port widths), stimulus.hex
// (one line per cycle after reset: {in_last, in_first, in_valid, in_weight, in_act}) and
// expected.hex (the golden result rows, in the order the array delivers them).  The bench
// holds rst for two cycles, drives one line a cycle, compares every out_row the array
// delivers (with out_index and out_first/out_last) against the next expected row, and ends
// with PASS, or with FAIL and $fatal (a non-zero exit status).  Plain Verilog-2005: it runs
// under Icarus (-g2005 and -g2012) and under Verilator (--binary).
`timescale 1ns/1ps
`include "design.vh"

module tb;
  localparam ROWS = `ROWS, STEPS = `STEPS, RESULTS = `RESULTS;
  localparam ACT_W = `ACT_W, WEIGHT_W = `WEIGHT_W, ROW_W = `ROW_W, STIM_W = `STIM_W;
  // Cycles to wait after the last line for the last result row.
  localparam DRAIN = `LATENCY + ROWS + 4;

  reg clk = 1'b0;
  reg rst = 1'b1;
  reg in_valid = 1'b0, in_first = 1'b0, in_last = 1'b0;
  reg [ACT_W-1:0] in_act = {ACT_W{1'b0}};
  reg [WEIGHT_W-1:0] in_weight = {WEIGHT_W{1'b0}};
  wire out_valid, out_first, out_last;
  wire [`INDEX_W-1:0] out_index;
  wire [ROW_W-1:0] out_row;

  `DUT dut (
    .clk(clk), .rst(rst),
    .in_valid(in_valid), .in_first(in_first), .in_last(in_last),
    .in_act(in_act), .in_weight(in_weight),
    .out_valid(out_valid), .out_first(out_first), .out_last(out_last),
    .out_index(out_index), .out_row(out_row));

  reg [STIM_W-1:0] stimulus [0:STEPS-1];
  reg [ROW_W-1:0] expected [0:RESULTS-1];
  integer step = 0, cycle = 0, got = 0, errors = 0;

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
      {in_last, in_first, in_valid, in_weight, in_act} <= stimulus[step];
      step <= step + 1;
    end else if (cycle >= 2) begin
      {in_last, in_first, in_valid} <= 3'b000;
    end
  end

  // Every result row, in order: row index, first/last flags and the row itself.
  always @(posedge clk) begin
    if (!rst && out_valid) begin
      if (got >= RESULTS) begin
        $display("FAIL: result row %0d beyond the %0d expected", got, RESULTS);
        errors = errors + 1;
      end else if (out_row !== expected[got] || out_index !== got % ROWS
                   || out_first !== (got % ROWS == 0) || out_last !== (got % ROWS == ROWS - 1))
      begin
        $display("FAIL: result row %0d (tile %0d, row %0d): out_index %0d, out_row %h, expected %h",
                 got, got / ROWS, got % ROWS, out_index, out_row, expected[got]);
        errors = errors + 1;
      end
      got = got + 1;
    end
  end

  always @(negedge clk) begin
    if (cycle == 2 + STEPS + DRAIN) begin
      if (got != RESULTS) begin
        $display("FAIL: %0d result rows, expected %0d", got, RESULTS);
        errors = errors + 1;
      end
      if (errors != 0) begin
        $display("FAIL: %0d mismatches in %0d result rows", errors, RESULTS);
        $fatal(1, "the array disagrees with the golden model");
      end else begin
        $display("PASS: %0d result rows of %0d tiles match the golden model", got, got / ROWS);
        $finish;
      end
    end
  end
endmodule
