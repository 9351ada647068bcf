-- The data contract's Stage 1 (section 3, exact mode) as one DuckDB script, straight from the
-- landing CSVs: the nine totals, the four metrics, their ranks and the cohort.
--
-- A benchmark baseline only: the product does not use it. bench/sql_baseline.py runs it through
-- DuckDB's Python API, replacing each @extract with the list of that extract's CSV files in the
-- window's twelve landing months, and reads the tables `totals`, `metrics` and `cohort`. Each CSV
-- is scanned once (only the columns Stage 1 needs); every step after that is SQL on those tables.
--
-- Timestamps are Europe/London local time without an offset. In the repeated autumn hour the
-- contract takes the earlier instant, while DuckDB's timezone() takes the later one: step back an
-- hour when that instant still shows the same local time. Seconds are summed as integers and
-- divided once, so equal hours are equal values.

SET TimeZone = 'UTC';

create macro local_ts(s) as strptime(nullif(trim(s), ''), '%Y-%m-%dT%H:%M:%S');
create macro local_epoch(s) as
  case when timezone('Europe/London', timezone('Europe/London', local_ts(s)) - interval 1 hour) = local_ts(s)
       then epoch(timezone('Europe/London', local_ts(s))) - 3600
       else epoch(timezone('Europe/London', local_ts(s))) end;
create macro norm_name(s) as nullif(regexp_replace(upper(s), '[^A-Z]', '', 'g'), '');
create macro norm_pnc(s) as nullif(replace(upper(s), ' ', ''), '');
create macro norm(x, scale) as case when scale = 0 then 0.0 else x / scale end;

-- The scans: one per extract.
create temp table idx as
  select distinct person_id, norm_name(forename) as fn, norm_name(surname) as sn,
         cast(nullif(dob, '') as date) as dob, norm_pnc(pnc_id) as pnc
  from read_csv(@connect_persons, all_varchar = true, header = true);

create temp table mentions as
  select incident_id, m.*
  from read_csv(@cw_incidents, all_varchar = true, header = true) i,
  lateral (values
    ('originator', norm_name(i.originator_forename), norm_name(i.originator_surname),
     cast(nullif(i.originator_dob, '') as date), norm_pnc(i.originator_pnc_id)),
    ('subject', norm_name(i.subject_forename), norm_name(i.subject_surname),
     cast(nullif(i.subject_dob, '') as date), norm_pnc(i.subject_pnc_id))
  ) as m(role, fn, sn, dob, pnc)
  where lower(i.is_preplanned) <> 'true';

-- A log's hours: per resource row max(released - earliest of assigned/deployed/arrived, 0), 0 when
-- either end is missing, summed over the log's rows (seconds).
create temp table resource_seconds as
  select incident_id,
         sum(coalesce(greatest(local_epoch(released_at)
               - least(local_epoch(assigned_at), local_epoch(deployed_at), local_epoch(arrived_at)), 0), 0)) as seconds
  from read_csv(@cw_resources, all_varchar = true, header = true)
  group by incident_id;

create temp table role_totals as
  select person_id,
    count(distinct investigation_id) filter (where upper(trim(role)) = 'SUSPECT') as suspect_total,
    count(distinct investigation_id) filter (where upper(trim(role)) = 'OFFENDER') as offender_total,
    count(distinct investigation_id) filter (where upper(trim(role)) = 'VICTIM') as victim_total
  from read_csv(@connect_person_roles, all_varchar = true, header = true)
  group by person_id;

create temp table custody_totals as
  select person_id, count(*) as custody_total,
    sum(coalesce(least(greatest(local_epoch(released_at) - local_epoch(arrival_at), 0), 200 * 3600), 0)) / 3600.0
      as custody_hours
  from read_csv(@connect_custody, all_varchar = true, header = true)
  group by person_id;

-- Exact linking: a PNC ID that matches one person links; one that matches several links nobody and
-- is not tried by name; otherwise forename + surname + DOB matching exactly one person.
create temp table links as
with pnc_hits as (
  select m.incident_id, m.role, count(distinct x.person_id) as n, min(x.person_id) as person_id
  from mentions m join idx x on m.pnc = x.pnc
  group by all),
name_hits as (
  select m.incident_id, m.role, count(distinct x.person_id) as n, min(x.person_id) as person_id
  from mentions m join idx x on m.fn = x.fn and m.sn = x.sn and m.dob = x.dob
  where not exists (select 1 from pnc_hits p where p.incident_id = m.incident_id and p.role = m.role)
  group by all)
select distinct incident_id, role, person_id from (
  select incident_id, role, person_id from pnc_hits where n = 1
  union all
  select incident_id, role, person_id from name_hits where n = 1);

create temp table call_totals as
  select person_id,
    count(*) filter (where role = 'originator') as originator_calls,
    coalesce(sum(seconds) filter (where role = 'originator'), 0) / 3600.0 as originator_hours,
    count(*) filter (where role = 'subject') as subject_calls,
    coalesce(sum(seconds) filter (where role = 'subject'), 0) / 3600.0 as subject_hours
  from links left join resource_seconds using (incident_id)
  group by person_id;

-- The nine totals; the universe is everyone with at least one non-zero total.
create table totals as
with everyone as (
  select person_id from role_totals union select person_id from custody_totals union select person_id from call_totals)
select person_id,
  coalesce(suspect_total, 0) as suspect_total, coalesce(offender_total, 0) as offender_total,
  coalesce(victim_total, 0) as victim_total, coalesce(custody_total, 0) as custody_total,
  coalesce(custody_hours, 0) as custody_hours, coalesce(originator_calls, 0) as originator_calls,
  coalesce(originator_hours, 0) as originator_hours, coalesce(subject_calls, 0) as subject_calls,
  coalesce(subject_hours, 0) as subject_hours
from everyone
  left join role_totals using (person_id) left join custody_totals using (person_id)
  left join call_totals using (person_id)
where coalesce(suspect_total, 0) + coalesce(offender_total, 0) + coalesce(victim_total, 0)
    + coalesce(custody_total, 0) + coalesce(custody_hours, 0) + coalesce(originator_calls, 0)
    + coalesce(originator_hours, 0) + coalesce(subject_calls, 0) + coalesce(subject_hours, 0) > 0;

-- scale_t: the mean of the largest min(1000, N) values of each total.
create temp table scales as
with long as (
  unpivot (select person_id, suspect_total::double as suspect_total, offender_total::double as offender_total,
                  victim_total::double as victim_total, custody_total::double as custody_total, custody_hours,
                  originator_calls::double as originator_calls, originator_hours,
                  subject_calls::double as subject_calls, subject_hours from totals)
  on columns(* exclude (person_id)) into name total value v),
ranked as (select total, v, row_number() over (partition by total order by v desc) as k from long)
select
  avg(v) filter (where total = 'suspect_total') as s1, avg(v) filter (where total = 'offender_total') as s2,
  avg(v) filter (where total = 'victim_total') as s3, avg(v) filter (where total = 'custody_total') as s4,
  avg(v) filter (where total = 'custody_hours') as s5, avg(v) filter (where total = 'originator_calls') as s6,
  avg(v) filter (where total = 'originator_hours') as s7, avg(v) filter (where total = 'subject_calls') as s8,
  avg(v) filter (where total = 'subject_hours') as s9
from ranked where k <= 1000;

-- Raw metrics: the mean of their totals' norm_t; metric = raw / max raw (0 when the max is 0).
create temp table raw as
select t.person_id,
  (norm(suspect_total, s1) + norm(offender_total, s2) + norm(victim_total, s3) + norm(custody_total, s4)
    + norm(custody_hours, s5)) / 5 as investigations_custody,
  (norm(originator_calls, s6) + norm(originator_hours, s7)) / 2 as originator,
  (norm(subject_calls, s8) + norm(subject_hours, s9)) / 2 as subject,
  (norm(suspect_total, s1) + norm(offender_total, s2) + norm(victim_total, s3) + norm(custody_total, s4)
    + norm(custody_hours, s5) + norm(originator_calls, s6) + norm(originator_hours, s7)
    + norm(subject_calls, s8) + norm(subject_hours, s9)) / 9 as overall
from totals t, scales;

create table metrics as
with m as (
  select person_id,
    norm(investigations_custody, max(investigations_custody) over ()) as metric_investigations_custody,
    norm(originator, max(originator) over ()) as metric_originator,
    norm(subject, max(subject) over ()) as metric_subject,
    norm(overall, max(overall) over ()) as metric_overall
  from raw)
select *,
  row_number() over (order by metric_investigations_custody desc, person_id) as rank_investigations_custody,
  row_number() over (order by metric_originator desc, person_id) as rank_originator,
  row_number() over (order by metric_subject desc, person_id) as rank_subject,
  row_number() over (order by metric_overall desc, person_id) as rank_overall
from m;

-- The cohort: per metric, rank <= 100 and metric > 0; their distinct union.
create table cohort as
select person_id,
  rank_investigations_custody <= 100 and metric_investigations_custody > 0 as in_top_investigations_custody,
  rank_originator <= 100 and metric_originator > 0 as in_top_originator,
  rank_subject <= 100 and metric_subject > 0 as in_top_subject,
  rank_overall <= 100 and metric_overall > 0 as in_top_overall
from metrics
where (rank_investigations_custody <= 100 and metric_investigations_custody > 0)
   or (rank_originator <= 100 and metric_originator > 0)
   or (rank_subject <= 100 and metric_subject > 0)
   or (rank_overall <= 100 and metric_overall > 0);
