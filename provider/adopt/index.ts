/**
 * The adopt-and-restore engine: one `Row`, one record memory, one equality, one undo journal. Every settings and
 * records resource converges the instance through it and puts back what it remembered on destroy.
 */
export * from "./journal";
export * from "./properties";
export * from "./records";
export * from "./row";
