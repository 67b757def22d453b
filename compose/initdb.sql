-- One database per service: services never read each other's data (ARCHITECTURE.md, Storage).
CREATE DATABASE quickon_market;
CREATE DATABASE quickon_deployer;
CREATE DATABASE quickon_backup;
CREATE DATABASE quickon_monitor;
CREATE DATABASE quickon_audit;
CREATE DATABASE quickon_gateway;
