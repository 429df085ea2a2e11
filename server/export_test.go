package server

// BurstWriters is burstWriters, for the tests of package server_test.
const BurstWriters = burstWriters
